namespace Arker.Testing.Extensibility;

/// <summary>How a test run wants its <see cref="LocalBackend"/> instance.</summary>
public sealed record LocalBackendOptions
{
    /// <summary>Where the instance keeps its VMs.</summary>
    /// <value>The default is <see langword="null"/>: the backend's own default (the local server's is <c>$TMPDIR/arker-local</c>).</value>
    public string? DataRoot { get; init; }

    /// <summary>Whether the instance keeps provisioned bases across runs in its base cache.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool BaseCache { get; init; } = true;

    /// <summary>Where the base cache lives.</summary>
    /// <value>The default is <see langword="null"/>: the backend's own default (the local server's is <c>$XDG_CACHE_HOME/arker-local</c>).</value>
    public string? BaseCacheDirectory { get; init; }

    /// <summary>Whether the instance empties its base cache when it starts.</summary>
    public bool ClearBaseCache { get; init; }

    /// <summary>What public base names stand for in the instance (such as <c>ubuntu-base</c>: an image reference, a root filesystem, or <c>arkuntu</c>), over the backend's defaults.</summary>
    /// <value>The default is empty: the backend's defaults.</value>
    public IReadOnlyDictionary<string, string> Images { get; init; } = new Dictionary<string, string>();
}
