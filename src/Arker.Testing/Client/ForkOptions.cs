namespace Arker.Testing.Client;

/// <summary>Options of <see cref="Computer.ForkAsync(ForkOptions?, CancellationToken)"/>.</summary>
public sealed class ForkOptions
{
    /// <summary>A name for the new VM, shown by list and usable to fork by name.</summary>
    /// <value>The default is <see langword="null"/>: no name.</value>
    public string? Name { get; set; }

    /// <summary>Whether other organisations may fork the new VM.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool IsPublic { get; set; }

    /// <summary>The region to create the VM in.</summary>
    /// <value>The default is <see langword="null"/>: the service's choice.</value>
    public string? Region { get; set; }
}
