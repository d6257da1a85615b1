namespace Arker.Testing.Extensibility;

/// <summary>How a test run wants its <see cref="LocalBackend"/> instance.</summary>
public sealed record LocalBackendOptions
{
    /// <summary>Where the instance keeps its VMs.</summary>
    /// <value>The default is <see langword="null"/>: the backend's own default (the local server's is <c>$TMPDIR/arker-local</c>).</value>
    public string? DataRoot { get; init; }
}
