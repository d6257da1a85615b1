namespace Arker.Testing.Client;

/// <summary>Options of <see cref="ArkerClient.ListAsync"/> and <see cref="ArkerClient.ListAllAsync"/>.</summary>
public sealed class ListOptions
{
    /// <summary>The page size, 1 to 100.</summary>
    /// <value>The default is 25 (100 for <see cref="ArkerClient.ListAllAsync"/>).</value>
    public int? Limit { get; set; }

    /// <summary>How many matching VMs to skip.</summary>
    /// <value>The default is 0.</value>
    public int Offset { get; set; }

    /// <summary>Only VMs whose name contains this text.</summary>
    /// <value>The default is <see langword="null"/>: all.</value>
    public string? Query { get; set; }

    /// <summary><c>created_at</c>, <c>-created_at</c>, <c>region</c> or <c>-region</c>.</summary>
    /// <value>The default is <see langword="null"/>: the service's order, newest first.</value>
    public string? Sort { get; set; }
}
