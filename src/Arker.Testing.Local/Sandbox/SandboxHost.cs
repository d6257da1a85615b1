using System.Security.Cryptography;
using System.Text;
using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Limits;
using Arker.Testing.Local.Network;
using Arker.Testing.Local.Sessions;
using Arker.Testing.Local.Storage;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// One server instance's sandboxes, composed from the rooms: it checks the machine, enters the
/// server's mount namespace (isolation), takes an instance folder and cleans up after dead
/// instances, makes the base image and layer store (storage), the cgroup hierarchy's limits
/// (limits) and the VMs' networking (network), proves that a sandbox starts, and hands VM
/// sandboxes out through its <see cref="SandboxFactory"/>. Disposing it leaves nothing behind.
/// </summary>
internal sealed class SandboxHost : IAsyncDisposable
{
    private readonly InstanceDirectory _instance;
    private readonly CgroupHierarchy _cgroups;
    private readonly Mounts _mounts;
    private readonly VmNetworking _networking;
    private readonly string _baseImageSource;
    private readonly VmStorage _storage;

    private SandboxHost(InstanceDirectory instance, CgroupHierarchy cgroups, Mounts mounts, VmNetworking networking, SandboxFactory sandboxes, string baseImageSource, LocalArkerServerOptions options)
    {
        _instance = instance;
        _cgroups = cgroups;
        _mounts = mounts;
        _networking = networking;
        _baseImageSource = baseImageSource;
        _storage = options.Storage;
        Sandboxes = sandboxes;
        UploadsDirectory = Path.Combine(instance.Path, "up");
        Directory.CreateDirectory(UploadsDirectory);
    }

    /// <summary>Staging space for uploads in progress, outside every VM.</summary>
    public string UploadsDirectory { get; }

    /// <summary>Makes the VMs' sandboxes.</summary>
    public SandboxFactory Sandboxes { get; }

    /// <summary>Flattens stacks of layers (for the base cache).</summary>
    public StackMerger Merger => Sandboxes.Merger;

    /// <summary>What a policy's readers should know: why rules have no effect here, if they have none.</summary>
    public IReadOnlyList<string> NetworkWarnings => _networking.Warnings;

    /// <summary>What the server's own base is: the host's userland, or a root filesystem.</summary>
    public string BaseDescription => _baseImageSource == "host" ? "this machine's userland" : _baseImageSource;

    /// <summary>A one-line description of how VMs are isolated on this machine.</summary>
    public string Isolation =>
        $"{(_mounts.Space.IsRootless ? "rootless, " : "")}bubblewrap (user, pid, mount, ipc, uts{(_networking.SharesHostNetwork ? "" : ", net")} namespaces; " +
        $"uid 1000 inside, {(_mounts.Space.IsRootless ? $"your own uid ({SandboxIdentity.HostUserId}) outside" : "an unused uid outside")}; no capabilities), " +
        (VmIdMap.Current is null
            ? "VMs of an image: no root inside (sudo in them fails; " + SubordinateIds.Missing + ", or run the server as root), "
            : VmIdMap.Current.Subordinate is { } ids
                ? $"VMs of an image or a root filesystem archive: root inside (sudo; their other ids your subordinate ids from {ids.FirstUserId}, no bubblewrap), "
                : "VMs of an image or a root filesystem archive: root inside (sudo; ids 0-65535 an unused range outside, no bubblewrap), ") +
        $"overlayfs copy-on-write on {(_storage == VmStorage.Disk ? "disk" : DataRoot.StorageKind(_instance.Path))}, {_cgroups.Describe()}; network: {_networking.Description}";

    /// <summary>
    /// What a stored base depends on besides the server's version and the kernel: root or rootless
    /// (files belong to different owners) and the base image.
    /// </summary>
    public string BaseIdentity =>
        $"{(_mounts.Space.IsRootless ? $"rootless uid {SandboxIdentity.HostUserId}{VmIdMap.Current?.FolderSuffix}" : "root")}\n{_baseImageSource}|{string.Join(',', Sandboxes.Launcher.BaseImageBinds)}";

    public static async Task<SandboxHost> StartAsync(LocalArkerServerOptions options, ILogger logger)
    {
        (string bwrap, string perl) = SandboxPrerequisites.Check();
        MountNamespace space = Environment.IsPrivilegedProcess ? new HostMountNamespace() : await UserMountNamespace.StartAsync();
        var mounts = new Mounts(space);
        InstanceDirectory? instance = null;
        VmNetworking? networking = null;
        BaseImage? baseImage = null;
        CgroupHierarchy cgroups = CgroupHierarchy.Detect();
        try
        {
            string root = DataRoot.For(options.DataRoot, options.Storage);
            if (!space.IsRootless)
            {
                SandboxPrerequisites.CheckDataRoot(root);
            }

            instance = CreateInstance(root, options.Storage, mounts);
            if (space.IsRootless && options.Storage == VmStorage.Memory && DataRoot.StorageKind(instance.Path) != "tmpfs")
            {
                logger.LogWarning(
                    "VM files are on {Kind} in {DataRoot}, not in memory: without root the server cannot mount a tmpfs it can see itself. Give a data root on a tmpfs (such as /dev/shm) for memory storage",
                    DataRoot.StorageKind(instance.Path), root);
            }

            (int instances, int vms) = await InstanceDirectory.CleanUpDeadInstancesAsync(root, cgroups, mounts, instance.Path);
            if (instances > 0)
            {
                logger.LogInformation("Cleaned up {Count} server instance(s) that exited without stopping, with {Vms} VM(s)", instances, vms);
            }

            if (!cgroups.CanLimitMemory || !cgroups.CanLimitProcesses)
            {
                logger.LogWarning(
                    "VM memory and process limits are not enforced on this machine ({Cgroups}): they need root, or a cgroup v2 tree delegated to you with the memory and pids controllers",
                    cgroups.Describe());
            }

            baseImage = BaseImage.Create(Path.Combine(instance.Path, "b"), options.RootFilesystem, options.BaseCacheDirectory ?? LocalCacheFolder.Default());
            var cleanup = new BackgroundCleanup(space.RemoveAsNamespaceRoot);
            var layers = new LayerStore(Path.Combine(instance.Path, "l"), baseImage.Layers, cleanup);
            var launcher = new SandboxLauncher(bwrap, perl, baseImage.HostReadOnlyBinds, options.ShareHostNetwork, space);
            networking = await VmNetworking.StartAsync(
                new NetworkSetup(launcher, space), options.ShareHostNetwork, options.DefaultNetwork, new HostLookup(options.HostNames), options.TimeProvider, logger);
            string vmsDirectory = Path.Combine(instance.Path, InstanceDirectory.VmsFolder);
            Directory.CreateDirectory(vmsDirectory);
            var sandboxes = new SandboxFactory(
                vmsDirectory,
                Path.Combine(instance.Path, "i"),
                options.BaseCacheDirectory ?? LocalCacheFolder.Default(),
                mounts,
                launcher,
                new StackMerger(instance.Path, mounts, layers, cleanup, options.MaxLayerDepth, logger),
                new VmLimits(cgroups, instance.CgroupGroup, options.MemoryLimitBytes, options.ProcessLimit),
                networking,
                baseImage.RootInside,
                logger);
            sandboxes.KeepInUse(baseImage);
            sandboxes.WarnOnceIfNoRootInside(baseImage);
            var host = new SandboxHost(instance, cgroups, mounts, networking, sandboxes, baseImage.Source, options);
            await host.ProveSandboxWorksAsync();
            return host;
        }
        catch
        {
            networking?.Dispose();
            baseImage?.InUse?.Dispose();
            if (instance is not null)
            {
                await RemoveInstanceAsync(instance, cgroups, mounts);
            }

            await space.DisposeAsync();
            throw;
        }
    }

    private static InstanceDirectory CreateInstance(string root, VmStorage storage, Mounts mounts)
    {
        try
        {
            return InstanceDirectory.Create(root, storage, mounts);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SandboxUnavailableException(
                $"The local Arker server cannot make its folder in the data root {root}: {ex.Message} Choose a folder you can write (--data-root, or ARKER_TESTING_LOCAL_DATA_ROOT for tests).", ex);
        }
    }

    /// <summary>Removes everything of the instances under <paramref name="dataRoot"/> whose server process is gone; returns how many VMs they held.</summary>
    public static async Task<int> CleanUpDeadInstancesAsync(string? dataRoot)
    {
        var mounts = new Mounts(new HostMountNamespace());
        int vms = 0;
        foreach (string root in dataRoot is not null ? [dataRoot] : DataRoot.Defaults())
        {
            vms += (await InstanceDirectory.CleanUpDeadInstancesAsync(root, CgroupHierarchy.Detect(), mounts, ownPath: null)).Vms;
        }

        return vms;
    }

    public async ValueTask DisposeAsync()
    {
        _networking.Dispose();
        await Sandboxes.Cleanup.DrainAsync();
        await RemoveInstanceAsync(_instance, _cgroups, _mounts);
        await _mounts.Space.DisposeAsync();
        Sandboxes.ReleaseRoots();
    }

    /// <summary>Kills what is left of an instance, unmounts it, and removes its cgroups and folder.</summary>
    private static async Task RemoveInstanceAsync(InstanceDirectory instance, CgroupHierarchy cgroups, Mounts mounts)
    {
        foreach (string cgroupRoot in cgroups.Roots())
        {
            await VmCgroup.KillAndRemoveAsync(Path.Combine(cgroupRoot, instance.CgroupGroup));
        }

        foreach (string mountPoint in mounts.MountPointsUnder(instance.Path))
        {
            mounts.Unmount(mountPoint, detach: true);
        }

        instance.Dispose();
    }

    private async Task ProveSandboxWorksAsync()
    {
        VmSandbox probe = Sandboxes.CreateBase("start-up probe");
        try
        {
            RunOutcome outcome = await probe.RunAsync("0", "echo $UID", TimeSpan.FromSeconds(30), CancellationToken.None);
            string uid = System.Text.Encoding.UTF8.GetString(outcome.Stdout).Trim();
            if (outcome.ExitCode != 0 || uid != "1000")
            {
                throw new SandboxUnavailableException($"A test sandbox ran but misbehaved (exit code {outcome.ExitCode}, uid '{uid}'): {System.Text.Encoding.UTF8.GetString(outcome.Stderr)}");
            }
        }
        catch (SandboxUnavailableException ex)
        {
            bool namespaces = ex.Message.Contains("namespace", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("Operation not permitted", StringComparison.Ordinal);
            throw new SandboxUnavailableException(
                "bubblewrap could not start a sandbox: " + ex.Message + (namespaces
                    ? " Unprivileged user namespaces look disabled: enable them with 'sysctl kernel.unprivileged_userns_clone=1', or on Ubuntu 24.04+ 'sysctl kernel.apparmor_restrict_unprivileged_userns=0'."
                    : ""), ex);
        }
        finally
        {
            await probe.DestroyAsync();
        }
    }
}
