using Arker.Testing.Local.Network;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// Everything VMs of one server instance share: the instance folder, the base image, the layer
/// store, the launcher and the cgroup hierarchy. Starting it checks the machine, cleans up after
/// dead instances and proves that a sandbox can start; disposing it leaves nothing behind.
/// </summary>
internal sealed class SandboxHost : IAsyncDisposable
{
    private readonly InstanceDirectory _instance;
    private readonly CgroupHierarchy _cgroups;
    private readonly LocalArkerServerOptions _options;
    private readonly ILogger _logger;
    private readonly string _vmsDirectory;
    private int _nextVm;
    private GatewaySettings _gatewaySettings = null!;

    private SandboxHost(InstanceDirectory instance, CgroupHierarchy cgroups, Mounts mounts, BackgroundCleanup cleanup, LayerStore layers, SandboxLauncher launcher, LocalArkerServerOptions options, ILogger logger)
    {
        Mounts = mounts;
        Cleanup = cleanup;
        _instance = instance;
        _cgroups = cgroups;
        _options = options;
        _logger = logger;
        Layers = layers;
        Launcher = launcher;
        _vmsDirectory = Path.Combine(instance.Path, InstanceDirectory.VmsFolder);
        Directory.CreateDirectory(_vmsDirectory);
        UploadsDirectory = Path.Combine(instance.Path, "up");
        Directory.CreateDirectory(UploadsDirectory);
    }

    public BackgroundCleanup Cleanup { get; }

    /// <summary>The server's mounts, in its mount namespace (its own as root, a helper's without).</summary>
    public Mounts Mounts { get; }

    public ILogger Logger => _logger;

    public LayerStore Layers { get; }

    public SandboxLauncher Launcher { get; }

    public int MaxLayerDepth => _options.MaxLayerDepth;

    /// <summary>Whether VMs share the host's network (<c>--share-network</c>) instead of one of their own each.</summary>
    public bool SharesHostNetwork => _options.ShareHostNetwork;

    /// <summary>Provisioned bases kept across server runs; null when the cache is off.</summary>
    public Cache.BaseCache? Cache { get; private set; }

    /// <summary>VM networks made ahead of need, with their gateways; null where this machine cannot route a VM's traffic.</summary>
    public GatewayPool? Gateways { get; private set; }

    /// <summary>A one-line account of the VMs' networks, for the start-up log and <c>/healthz</c>.</summary>
    public string NetworkDescription { get; private set; } = "";

    /// <summary>What a policy's readers should know: why rules have no effect here, if they have none.</summary>
    public IReadOnlyList<string> NetworkWarnings => Gateways is null ? [$"outbound rules have no effect on this server: {NetworkDescription}"] : [];

    /// <summary>Gives a VM a network of its own, ready, with a gateway that lets it out as <paramref name="policy"/> allows.</summary>
    public async Task<OutboundGateway> AttachGatewayAsync(Func<NetworkPolicy> policy) =>
        new(await Gateways!.TakeAsync(), policy, _gatewaySettings);

    /// <summary>Staging space for uploads in progress, outside every VM.</summary>
    public string UploadsDirectory { get; }

    /// <summary>A one-line description of how VMs are isolated on this machine.</summary>
    public string Isolation =>
        $"{(Mounts.Space.IsRootless ? "rootless, " : "")}bubblewrap (user, pid, mount, ipc, uts{(_options.ShareHostNetwork ? "" : ", net")} namespaces; " +
        $"uid 1000 inside, {(Mounts.Space.IsRootless ? $"your own uid ({BaseImage.HostUserId}) outside, no subordinate uids" : "an unused uid outside")}; no capabilities), " +
        $"overlayfs copy-on-write on {(_options.Storage == VmStorage.Disk ? "disk" : StorageKind(_instance.Path))}, {_cgroups.Describe()}; network: {NetworkDescription}";

    public static async Task<SandboxHost> StartAsync(LocalArkerServerOptions options, ILogger logger)
    {
        (string bwrap, string setpriv) = SandboxPrerequisites.Check();
        MountNamespace space = Environment.IsPrivilegedProcess ? new HostMountNamespace() : await UserMountNamespace.StartAsync();
        var mounts = new Mounts(space);
        InstanceDirectory? instance = null;
        CgroupHierarchy cgroups = CgroupHierarchy.Detect();
        try
        {
            string root = DataRoot(options.DataRoot, options.Storage);
            if (!space.IsRootless)
            {
                SandboxPrerequisites.CheckDataRoot(root);
            }

            instance = CreateInstance(root, options.Storage, mounts);
            if (space.IsRootless && options.Storage == VmStorage.Memory && StorageKind(instance.Path) != "tmpfs")
            {
                logger.LogWarning(
                    "VM files are on {Kind} in {DataRoot}, not in memory: without root the server cannot mount a tmpfs it can see itself. Give a data root on a tmpfs (such as /dev/shm) for memory storage",
                    StorageKind(instance.Path), root);
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

            var baseImage = BaseImage.Create(Path.Combine(instance.Path, "b"), options.RootFilesystem);
            var cleanup = new BackgroundCleanup();
            var layers = new LayerStore(Path.Combine(instance.Path, "l"), baseImage.Layers, cleanup);
            var launcher = new SandboxLauncher(bwrap, setpriv, baseImage, options.ShareHostNetwork, space);
            var host = new SandboxHost(instance, cgroups, mounts, cleanup, layers, launcher, options, logger);
            await host.StartNetworksAsync();
            host.Cache = options.UseBaseCache
                ? new Cache.BaseCache(options.BaseCacheDirectory ?? Local.Cache.BaseCache.DefaultDirectory(), host.CacheFingerprint(), options.BaseCacheMaxBytes, options.TimeProvider, logger)
                : null;
            if (options.ClearBaseCache && host.Cache?.Clear() is > 0 and int cleared)
            {
                logger.LogInformation("Cleared the base cache in {Directory}: {Count} stored base(s) removed", host.Cache.Directory, cleared);
            }
            await host.ProveSandboxWorksAsync();
            return host;
        }
        catch
        {
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

    /// <summary>
    /// The folder under which server instances keep their files: the one given, else
    /// <c>arker-local</c> in the system's temporary folder. Without root, each user has their own
    /// (<c>arker-local-&lt;uid&gt;</c>), on <c>/dev/shm</c> for memory storage, since a tmpfs the
    /// server mounted in its namespace would be out of its own sight.
    /// </summary>
    public static string DataRoot(string? given, VmStorage storage = VmStorage.Memory)
    {
        if (given is not null)
        {
            return given;
        }

        if (Environment.IsPrivilegedProcess)
        {
            return Path.Combine(Path.GetTempPath(), "arker-local");
        }

        string folder = $"arker-local-{Native.LibC.getuid()}";
        return storage == VmStorage.Memory && StorageKind("/dev/shm") == "tmpfs" ? Path.Combine("/dev/shm", folder) : Path.Combine(Path.GetTempPath(), folder);
    }

    /// <summary>Removes everything of the instances under <paramref name="dataRoot"/> whose server process is gone; returns how many VMs they held.</summary>
    public static async Task<int> CleanUpDeadInstancesAsync(string? dataRoot)
    {
        var mounts = new Mounts(new HostMountNamespace());
        int vms = 0;
        foreach (string root in dataRoot is not null ? [dataRoot] : new[] { DataRoot(null, VmStorage.Memory), DataRoot(null, VmStorage.Disk) }.Distinct())
        {
            vms += (await InstanceDirectory.CleanUpDeadInstancesAsync(root, CgroupHierarchy.Detect(), mounts, ownPath: null)).Vms;
        }

        return vms;
    }

    public VmSandbox CreateSandbox(string name, IReadOnlyList<Layer> lowers, IEnumerable<KeyValuePair<string, SessionSlot>> sessions, LayerMerge? inheritedMerge = null)
    {
        string shortName = Interlocked.Increment(ref _nextVm).ToString(System.Globalization.CultureInfo.InvariantCulture);
        VmDisk disk = VmDisk.Create(Layers, Mounts, Path.Combine(_vmsDirectory, shortName), lowers);
        try
        {
            VmCgroup cgroup = VmCgroup.Create(_cgroups, _instance.CgroupGroup, "vm-" + shortName, _options.MemoryLimitBytes, _options.ProcessLimit);
            _logger.LogDebug("Created sandbox {Sandbox} for {Vm} over {Depth} layer(s)", shortName, name, lowers.Count);
            return new VmSandbox(this, disk, cgroup, sessions, inheritedMerge);
        }
        catch
        {
            disk.Destroy(Cleanup);
            throw;
        }
    }

    /// <summary>A VM over the bare base image.</summary>
    public VmSandbox CreateBaseSandbox(string name) => CreateSandbox(name, Layers.BaseLayers, []);

    /// <summary>
    /// Copies the merged view of a stack (whiteouts applied) into one new layer that can stand in
    /// for the whole stack, base image included.
    /// </summary>
    public async Task<Layer> MergeLayersAsync(IReadOnlyList<Layer> lowers)
    {
        string target = Layers.NewLayerPath();
        Directory.CreateDirectory(target);
        try
        {
            await CopyMergedAsync(lowers, target);
        }
        catch
        {
            Cleanup.Delete(target);
            throw;
        }

        _logger.LogInformation("Merged {Depth} layers into one", lowers.Count);
        return new Layer(target, permanent: false);
    }

    /// <summary>
    /// Copies what a stack of layers shows, as one directory, into <paramref name="target"/> (which
    /// exists): through a read-only overlay of the stack, so deleted files are simply absent.
    /// </summary>
    public async Task CopyMergedAsync(IReadOnlyList<Layer> lowers, string target)
    {
        if (lowers.Count == 1)
        {
            await CopyTreeAsync(lowers[0].Path, target, lowers.Count); // one layer is its own view
            return;
        }

        string view = Path.Combine(_instance.Path, "f" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(view);
        try
        {
            Mounts.MountReadOnlyOverlay([.. lowers.Select(l => l.Path)], view);
            try
            {
                await CopyTreeAsync(Mounts.Space.View(view), target, lowers.Count);
            }
            finally
            {
                Mounts.Unmount(view, detach: true);
            }
        }
        finally
        {
            Directory.Delete(view);
        }
    }

    private static async Task CopyTreeAsync(string source, string target, int depth)
    {
        using var copy = Process.Start(new ProcessStartInfo("cp", ["-a", "--reflink=auto", source + "/.", target]) { RedirectStandardError = true })!;
        string error = await copy.StandardError.ReadToEndAsync();
        await copy.WaitForExitAsync();
        if (copy.ExitCode != 0)
        {
            throw new IOException($"merging {depth} layers failed: {error}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Gateways?.Dispose();
        await Cleanup.DrainAsync();
        await RemoveInstanceAsync(_instance, _cgroups, Mounts);
        await Mounts.Space.DisposeAsync();
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

    /// <summary>
    /// What a cached base must have been made under to be used here: this server's version, the
    /// kernel, root or rootless (files belong to different owners), and the base image.
    /// </summary>
    private string CacheFingerprint()
    {
        string version = typeof(SandboxHost).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        string kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        string mode = Mounts.Space.IsRootless ? $"rootless uid {BaseImage.HostUserId}" : "root";
        string image = $"{_options.RootFilesystem ?? "host"}|{string.Join(',', Launcher.BaseImageBinds)}";
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{version}\n{kernel}\n{mode}\n{image}")))[..16];
    }

    private async Task StartNetworksAsync()
    {
        _gatewaySettings = new GatewaySettings(_options.DefaultNetwork, new HostLookup(_options.HostNames), _options.TimeProvider, _logger);
        if (_options.ShareHostNetwork)
        {
            NetworkDescription = "the host's network, shared (--share-network): VMs reach everything this machine does, the server's API included";
            return;
        }

        if (_options.DefaultNetwork == NetworkAccess.Off)
        {
            NetworkDescription = "one namespace per VM with its loopback only (network off)";
            return;
        }

        (Gateways, string? reason) = await GatewayPool.StartAsync(new NetworkSetup(Launcher, Mounts.Space), _logger);
        if (Gateways is null)
        {
            _logger.LogWarning("VMs have no way out, only their own loopback: {Reason}", reason);
            NetworkDescription = $"one namespace per VM with its loopback only ({reason})";
            return;
        }

        NetworkDescription = $"one namespace per VM; TCP, UDP and DNS out through the server by the VM's policy (empty policy: {(_options.DefaultNetwork == NetworkAccess.Open ? "open" : "closed")}), never to this machine unless a rule names the port";
    }

    private async Task ProveSandboxWorksAsync()
    {
        VmSandbox probe = CreateBaseSandbox("start-up probe");
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

    /// <summary>The type of filesystem a folder is on (<c>tmpfs</c>, <c>ext4</c>, …), from the mount table.</summary>
    private static string StorageKind(string folder)
    {
        string best = "";
        string kind = "disk";
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }

            string point = fields[4];
            if ((folder == point || folder.StartsWith(point.TrimEnd('/') + "/", StringComparison.Ordinal)) && point.Length >= best.Length)
            {
                best = point;
                kind = fields[separator + 1];
            }
        }

        return kind;
    }
}
