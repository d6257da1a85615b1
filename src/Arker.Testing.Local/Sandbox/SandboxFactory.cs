using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Limits;
using Arker.Testing.Local.Network;
using Arker.Testing.Local.Sessions;
using Arker.Testing.Local.Storage;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// Makes a VM's sandbox from the rooms' parts: a disk over its layers (storage), a cgroup with the
/// server's limits (limits), a network (VM networks), and the launcher its shells start with
/// (isolation). A sandbox keeps its factory to make its forks.
/// </summary>
internal sealed class SandboxFactory(
    string vmsDirectory,
    string imageBasesDirectory,
    string cacheFolder,
    Mounts mounts,
    SandboxLauncher launcher,
    StackMerger merger,
    VmLimits limits,
    VmNetworking networking,
    bool baseRootInside,
    ILogger logger)
{
    private int _nextVm;
    private int _warnedNoRootInside;
    private readonly List<IDisposable> _rootsInUse = [];

    public SandboxLauncher Launcher => launcher;

    /// <summary>The system calls of the file API in these VMs (see <see cref="Native.FileCalls"/>).</summary>
    public Native.FileCalls FileCalls => mounts.Space.FileCalls;

    public StackMerger Merger => merger;

    public BackgroundCleanup Cleanup => merger.Cleanup;

    public VmNetworking Networking => networking;

    public ILogger Logger => logger;

    /// <summary>
    /// A sandbox named <paramref name="name"/> over <paramref name="lowers"/>, with the sessions it
    /// inherits, seeing <paramref name="hostReadOnlyFolders"/> of this machine (the server's base
    /// image's when not given), with root inside if <paramref name="rootInside"/> (the server's
    /// base image's choice when not given).
    /// </summary>
    public VmSandbox Create(string name, IReadOnlyList<Layer> lowers, IEnumerable<KeyValuePair<string, SessionSlot>> sessions, LayerMerge? inheritedMerge = null, IReadOnlyList<string>? hostReadOnlyFolders = null, bool? rootInside = null)
    {
        string shortName = Interlocked.Increment(ref _nextVm).ToString(System.Globalization.CultureInfo.InvariantCulture);
        VmDisk disk = VmDisk.Create(merger.Layers, mounts, Path.Combine(vmsDirectory, shortName), lowers);
        try
        {
            VmCgroup cgroup = limits.CreateCgroup("vm-" + shortName);
            logger.LogDebug("Created sandbox {Sandbox} for {Vm} over {Depth} layer(s)", shortName, name, lowers.Count);
            return new VmSandbox(this, disk, cgroup, sessions, inheritedMerge, hostReadOnlyFolders ?? launcher.BaseImageBinds, rootInside ?? baseRootInside);
        }
        catch
        {
            disk.Destroy(Cleanup);
            throw;
        }
    }

    /// <summary>A VM over the bare base image.</summary>
    public VmSandbox CreateBase(string name) => Create(name, merger.Layers.BaseLayers, []);

    /// <summary>
    /// A VM over the container image <paramref name="reference"/> (fetched and unpacked once per
    /// machine, see <see cref="ContainerImage"/>), with the VM user's home added, and nothing of
    /// this machine bound in: its <c>/usr</c> is the image's; as root, with root inside.
    /// </summary>
    public VmSandbox CreateFromImage(string name, string reference)
    {
        string directory = Path.Combine(imageBasesDirectory, Guid.NewGuid().ToString("N")[..12]);
        BaseImage image = BaseImage.Create(directory, reference, cacheFolder);
        KeepInUse(image);
        WarnOnceIfNoRootInside(image);
        return Create(name, [.. image.Layers.Select(layer => new Layer(layer, permanent: true))], [], hostReadOnlyFolders: [], rootInside: image.RootInside);
    }

    /// <summary>Holds <paramref name="image"/>'s unpacked root as used (see <see cref="UnpackedRoots"/>) until <see cref="ReleaseRoots"/>.</summary>
    public void KeepInUse(BaseImage image)
    {
        if (image.InUse is { } used)
        {
            lock (_rootsInUse)
            {
                _rootsInUse.Add(used);
            }
        }
    }

    /// <summary>Lets the unpacked roots this server's VMs stood on be pruned: the server is stopping.</summary>
    public void ReleaseRoots()
    {
        lock (_rootsInUse)
        {
            foreach (IDisposable used in _rootsInUse)
            {
                used.Dispose();
            }

            _rootsInUse.Clear();
        }
    }

    /// <summary>Without root, VMs of an image or archive run as the VM user only: said once, where the server's log is read.</summary>
    public void WarnOnceIfNoRootInside(BaseImage image)
    {
        if (!image.RootInside && image.Source != "host" && mounts.Space.IsRootless && Interlocked.Exchange(ref _warnedNoRootInside, 1) == 0)
        {
            logger.LogWarning(
                "VMs of {Root} have no root inside: without root the server has one id to give them, so sudo and package installs in them fail. For root inside, {Remedy}; or run the server as root",
                image.Source,
                Isolation.SubordinateIds.Missing);
        }
    }
}
