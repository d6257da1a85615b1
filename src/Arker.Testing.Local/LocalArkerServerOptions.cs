namespace Arker.Testing.Local;

/// <summary>Settings of a <see cref="LocalArkerServer"/>.</summary>
public sealed class LocalArkerServerOptions
{
    /// <summary>The address to listen on.</summary>
    /// <value>The default is <c>http://127.0.0.1:0</c>: loopback, on a free port.</value>
    public Uri Url { get; set; } = new("http://127.0.0.1:0");

    /// <summary>API keys the server accepts, each mapped to the organisation it belongs to.</summary>
    /// <value>The default is empty, in which case one key is generated for the organisation <c>local</c>.</value>
    public IDictionary<string, string> ApiKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The folder under which each server instance keeps its layers, VMs and uploads.</summary>
    /// <value>The default is <c>$TMPDIR/arker-local</c>.</value>
    public string? DataRoot { get; set; }

    /// <summary>Where VM files live: in memory (fast forks) or on the data root's disk (room for large data).</summary>
    /// <value>The default is <see cref="VmStorage.Memory"/>.</value>
    public VmStorage Storage { get; set; } = VmStorage.Memory;

    /// <summary>
    /// A root filesystem to use as the base image instead of the host's <c>/usr</c>: a directory, or
    /// a tar archive of one (such as <c>mmdebstrap</c> makes; compressed as <c>tar</c> reads it),
    /// unpacked once per machine into <c>roots/</c> of the base cache's folder.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the host's <c>/usr</c> read-only plus a generated <c>/etc</c>.</value>
    public string? RootFilesystem { get; set; }

    /// <summary>The memory limit of one VM, in bytes.</summary>
    /// <value>The default is 2 GiB.</value>
    public long MemoryLimitBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>The limit on the number of processes and threads in one VM.</summary>
    /// <value>The default is 512.</value>
    public int ProcessLimit { get; set; } = 512;

    /// <summary>The time limit of a run whose request gives no timeout (or 0).</summary>
    /// <value>The default is 600 seconds.</value>
    public TimeSpan DefaultRunTimeout { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>Whether VMs share the host's network, with no isolation at all (an escape hatch). Off, each VM has a network of its own, reaching out through the server under its policy.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool ShareHostNetwork { get; set; }

    /// <summary>
    /// What a VM with an empty network policy may reach: <see cref="NetworkAccess.Open"/>, as on
    /// the Arker service, or nothing. Either way no VM reaches this machine itself unless a policy
    /// rule allows that port.
    /// </summary>
    /// <value>The default is <see cref="NetworkAccess.Open"/>.</value>
    public NetworkAccess DefaultNetwork { get; set; } = NetworkAccess.Open;

    /// <summary>
    /// Host names the VMs' lookups answer before the system's resolver does, each with its address
    /// on this machine's side (as <c>--add-host</c> does for containers).
    /// <c>host.arker.internal</c> is always there: this machine's loopback.
    /// </summary>
    /// <value>The default is empty.</value>
    public IDictionary<string, System.Net.IPAddress> HostNames { get; } = new Dictionary<string, System.Net.IPAddress>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The public base names VMs are forked from besides <c>arkuntu</c> (the server's own base), each
    /// with what it stands for here: a container image (<c>docker.io/library/ubuntu:24.04</c>, as
    /// skopeo names it, or a registry reference), a root filesystem directory or archive, or
    /// <c>arkuntu</c> for the server's own base. Entries here replace the defaults of the same name
    /// (<see cref="DefaultImages"/>: the Arker service's <c>ubuntu-base</c>, <c>ubuntu-coding</c>
    /// and <c>ubuntu-full</c> are the official Ubuntu 24.04 image). A name resolves to its image on
    /// its first fork, which fetches and unpacks the image once per machine; an image that cannot be
    /// had fails that fork, naming what was tried and how to map the name elsewhere.
    /// </summary>
    /// <value>The default is empty: the defaults only.</value>
    public IDictionary<string, string> Images { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>What the service's base names stand for when <see cref="Images"/> does not say.</summary>
    public static IReadOnlyDictionary<string, string> DefaultImages { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ubuntu-base"] = "docker.io/library/ubuntu:24.04",
        ["ubuntu-coding"] = "docker.io/library/ubuntu:24.04",
        ["ubuntu-full"] = "docker.io/library/ubuntu:24.04",
    };

    /// <summary>Whether provisioned bases stored in the base cache are kept across server runs and offered again.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool UseBaseCache { get; set; } = true;

    /// <summary>Where the base cache lives.</summary>
    /// <value>The default is <see langword="null"/>: <c>$XDG_CACHE_HOME/arker-local</c>, else <c>~/.cache/arker-local</c>.</value>
    public string? BaseCacheDirectory { get; set; }

    /// <summary>The size the base cache is kept under: past it, stored bases are evicted least recently used first.</summary>
    /// <value>The default is 4 GiB.</value>
    public long BaseCacheMaxBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Whether to remove every stored base when the server starts (a fresh cache).</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool ClearBaseCache { get; set; }

    /// <summary>The lifetime of presigned upload and download URLs.</summary>
    /// <value>The default is 900 seconds.</value>
    public TimeSpan PresignedUrlLifetime { get; set; } = TimeSpan.FromSeconds(900);

    /// <summary>The fraction of requests (0 to 1) that fail on purpose, to exercise client retries.</summary>
    /// <value>The default is 0: no faults.</value>
    public double FaultRate { get; set; }

    /// <summary>The seed of the fault injector, so a run of faults can be repeated.</summary>
    /// <value>The default is 0.</value>
    public int FaultSeed { get; set; }

    /// <summary>How many read-only layers a VM may stack before its layers are merged into one.</summary>
    /// <value>The default is 64.</value>
    public int MaxLayerDepth { get; set; } = 64;

    /// <summary>Adds log providers and filters; the server logs one line per request at Information.</summary>
    /// <value>The default is <see langword="null"/>: no logging.</value>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>The clock used for timestamps and URL expiry.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
