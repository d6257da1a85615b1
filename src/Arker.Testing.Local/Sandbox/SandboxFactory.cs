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
    Mounts mounts,
    SandboxLauncher launcher,
    StackMerger merger,
    VmLimits limits,
    VmNetworking networking,
    ILogger logger)
{
    private int _nextVm;

    public SandboxLauncher Launcher => launcher;

    public StackMerger Merger => merger;

    public BackgroundCleanup Cleanup => merger.Cleanup;

    public VmNetworking Networking => networking;

    public ILogger Logger => logger;

    /// <summary>A sandbox named <paramref name="name"/> over <paramref name="lowers"/>, with the sessions it inherits.</summary>
    public VmSandbox Create(string name, IReadOnlyList<Layer> lowers, IEnumerable<KeyValuePair<string, SessionSlot>> sessions, LayerMerge? inheritedMerge = null)
    {
        string shortName = Interlocked.Increment(ref _nextVm).ToString(System.Globalization.CultureInfo.InvariantCulture);
        VmDisk disk = VmDisk.Create(merger.Layers, mounts, Path.Combine(vmsDirectory, shortName), lowers);
        try
        {
            VmCgroup cgroup = limits.CreateCgroup("vm-" + shortName);
            logger.LogDebug("Created sandbox {Sandbox} for {Vm} over {Depth} layer(s)", shortName, name, lowers.Count);
            return new VmSandbox(this, disk, cgroup, sessions, inheritedMerge);
        }
        catch
        {
            disk.Destroy(Cleanup);
            throw;
        }
    }

    /// <summary>A VM over the bare base image.</summary>
    public VmSandbox CreateBase(string name) => Create(name, merger.Layers.BaseLayers, []);
}
