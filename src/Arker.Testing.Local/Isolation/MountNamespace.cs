using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// Where the server's mounts live and how it reaches into them. As root, that is the server's
/// own mount namespace (<see cref="HostMountNamespace"/>); without root, a user and mount namespace
/// held by a helper process (<see cref="UserMountNamespace"/>), which this process cannot join
/// itself once it has threads.
/// </summary>
internal abstract class MountNamespace : IAsyncDisposable
{
    /// <summary>Whether the server runs without root, in a user namespace of its own.</summary>
    public abstract bool IsRootless { get; }

    /// <summary>The path at which this process sees <paramref name="path"/> as the namespace mounts it.</summary>
    public abstract string View(string path);

    /// <summary>
    /// What a sandbox's command line starts with, to run inside the namespace and, when
    /// <paramref name="network"/> names one (a <c>/proc/…/fd/…</c> path), in that network namespace.
    /// </summary>
    public abstract IReadOnlyList<string> LaunchPrefix(string? network);

    /// <summary>
    /// The namespaces a sandbox's start enters (see <see cref="SandboxStart"/>), as "kind:path": without
    /// root the server's user and mount namespaces, and <paramref name="network"/> when it names one.
    /// </summary>
    public abstract IEnumerable<string> NamespacesToEnter(string? network);

    /// <summary>
    /// The namespace's mount table, in <c>/proc/…/mountinfo</c> form; none once the namespace has
    /// ended, and every mount in it: without root, when its helper has exited (killed by a signal
    /// meant for the test run, say). As root, never.
    /// </summary>
    public abstract IReadOnlyList<string> ReadMountTable();

    /// <summary>A one-line account of the namespace, for the start-up log and <c>/healthz</c>.</summary>
    public abstract string Describe();

    /// <summary>mount(2) in the namespace; 0, or the errno.</summary>
    public abstract int Mount(string source, string target, string fileSystemType, ulong flags, string? data);

    /// <summary>umount2(2) in the namespace; 0, or the errno.</summary>
    public abstract int Unmount(string target, int flags);

    /// <summary>
    /// Makes <paramref name="sockets"/> inside the VM network namespace <paramref name="network"/>
    /// (an open descriptor of it), with the privileges that namespace gives this server: as root by
    /// this process, without root by the helper, to which the descriptor is passed and which
    /// passes the sockets back (SCM_RIGHTS).
    /// </summary>
    public abstract Task<System.Net.Sockets.Socket[]> OpenSocketsAsync(System.Runtime.InteropServices.SafeHandle network, Network.VmSocket[] sockets);

    /// <summary>
    /// A new VM network's namespace, set up as <paramref name="layout"/> says, made by the namespace
    /// helper (<see cref="NamespaceHelper"/>) with no process started for it.
    /// </summary>
    /// <exception cref="IOException">It could not be made; the message has the errno.</exception>
    public abstract Microsoft.Win32.SafeHandles.SafeFileHandle MakeNetwork(VmNetworkLayout layout);

    /// <summary>
    /// Removes a folder and all in it as root of the server's user namespace, for VM files this
    /// process may not remove itself (without root, those of the subordinate ids): 0, or the errno.
    /// Null where there are none such (as root; without subordinate ids).
    /// </summary>
    public virtual Func<string, int>? RemoveAsNamespaceRoot => null;

    /// <summary>The system calls of the file API in VMs (see <see cref="Native.FileCalls"/>).</summary>
    public virtual Native.FileCalls FileCalls => Native.FileCalls.Direct;

    /// <summary>Lets the namespace go: without root, its helper exits and every mount in it vanishes.</summary>
    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// Root: mounts are made by this process, with mount(2), where it stands; VM networks by a
/// namespace helper that only makes networks, started with the first and again if it has ended
/// (it holds nothing: a killed one costs the network being made, no more).
/// </summary>
internal sealed class HostMountNamespace : MountNamespace
{
    private readonly Lock _gate = new();
    private NamespaceHelper? _networkHelper;
    private bool _disposed;

    public override bool IsRootless => false;

    public override IReadOnlyList<string> LaunchPrefix(string? network) =>
        network is null ? [] : [SandboxPrerequisites.FindExecutable("nsenter") ?? "nsenter", $"--net={network}", "--"];

    public override IEnumerable<string> NamespacesToEnter(string? network) =>
        network is null ? [] : [$"network:{network}"];

    public override IReadOnlyList<string> ReadMountTable() => File.ReadAllLines("/proc/self/mountinfo");

    public override string View(string path) => path;

    public override string Describe() => "root";

    public override int Mount(string source, string target, string fileSystemType, ulong flags, string? data) =>
        LibC.mount(source, target, fileSystemType, flags, data) == 0 ? 0 : LibC.LastError;

    public override int Unmount(string target, int flags) =>
        LibC.umount2(target, flags) == 0 ? 0 : LibC.LastError;

    public override Task<System.Net.Sockets.Socket[]> OpenSocketsAsync(System.Runtime.InteropServices.SafeHandle network, Network.VmSocket[] sockets) =>
        NetworkNamespaceThread.OpenAsync(network, sockets);

    public override Microsoft.Win32.SafeHandles.SafeFileHandle MakeNetwork(VmNetworkLayout layout) => NetworkHelper().MakeNetwork(layout);

    public override async ValueTask DisposeAsync()
    {
        NamespaceHelper? helper;
        lock (_gate)
        {
            (helper, _networkHelper, _disposed) = (_networkHelper, null, true);
        }

        if (helper is not null)
        {
            await helper.DisposeAsync();
        }
    }

    private NamespaceHelper NetworkHelper()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                throw new IOException("the server is stopping: no more VM networks are made");
            }

            if (_networkHelper is { HasExited: false } running)
            {
                return running;
            }

            _networkHelper?.DisposeAsync().AsTask().GetAwaiter().GetResult(); // ended: only reaped here
            _networkHelper = null;
            string perl = SandboxPrerequisites.FindExecutable("perl") ?? throw new IOException("perl is not installed; install it with 'apt-get install perl-base'");
            _networkHelper = NamespaceHelper.StartAsync([], perl, error => $"the helper that makes VM networks did not start: {error}").GetAwaiter().GetResult();
            return _networkHelper;
        }
    }
}
