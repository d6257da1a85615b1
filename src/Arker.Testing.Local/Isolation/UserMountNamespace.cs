using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Arker.Testing.Local.Native;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// Without root: a user namespace, in which the server's user is root, and a private mount
/// namespace owned by it, held by the namespace helper (<see cref="NamespaceHelper"/>, started by
/// <c>unshare</c>), which makes the server's mounts, its VM networks and the sockets in them, on
/// request. The server holds the helper's namespaces and root by descriptors it opened as the
/// helper started (<see cref="HeldNamespaces"/>), reaches the mounted VM files through that root
/// and starts sandboxes in those namespaces: never in another process's, even if the helper dies
/// and its id is taken again. When the server dies the helper exits, and the namespaces and their
/// mounts vanish with it. As in rootless Podman, VM processes and files belong to the invoking
/// user outside: uid 1000 inside a VM is that user on the host. Where the machine grants the user
/// subordinate ids (see <see cref="SubordinateIds"/>), the namespace has them too, for the other
/// ids of VMs with root inside (see <see cref="VmIdMap"/>).
/// </summary>
internal sealed class UserMountNamespace : MountNamespace
{
    private readonly NamespaceHelper _helper;
    private readonly HeldNamespaces _held;
    private readonly string _nsenter;

    /// <summary>How long a helper whose mount table cannot be read is given to be seen exiting.</summary>
    private static readonly TimeSpan HelperExitPatience = TimeSpan.FromSeconds(5);

    private UserMountNamespace(NamespaceHelper helper, HeldNamespaces held, string nsenter)
    {
        _helper = helper;
        _held = held;
        _nsenter = nsenter;
        FileCalls = SubordinateIds.Current is null ? FileCalls.Direct : new NamespaceFileCalls(helper);
    }

    public override bool IsRootless => true;

    public override IReadOnlyList<string> LaunchPrefix(string? network) =>
        [_nsenter, $"--user={_held.User}", $"--mount={_held.Mount}", "--preserve-credentials", .. (network is null ? Array.Empty<string>() : [$"--net={network}"]), "--"];

    public override IEnumerable<string> NamespacesToEnter(string? network) =>
        [$"user:{_held.User}", $"mount:{_held.Mount}", .. (network is null ? Array.Empty<string>() : [$"network:{network}"])];

    public override IReadOnlyList<string> ReadMountTable()
    {
        try
        {
            return _helper.HasExited ? [] : File.ReadAllLines($"/proc/{_helper.Id.ToString(CultureInfo.InvariantCulture)}/mountinfo");
        }
        catch (IOException) when (_helper.WaitForExit(HelperExitPatience))
        {
            // Killed a moment ago: its namespaces are released before it is a zombie, and /proc
            // answers EINVAL (then ENOENT) while this process has not yet seen it exit.
            return [];
        }
    }

    public override string View(string path) => _held.Root + path;

    public override string Describe() =>
        $"rootless: a user namespace of uid {LibC.getuid()}, who owns VM processes and files on the host" +
        (SubordinateIds.Current is { } ids ? $", and its subordinate ids from {ids.FirstUserId} (uids) and {ids.FirstGroupId} (gids) for VMs' other ids" : "");

    public static async Task<UserMountNamespace> StartAsync()
    {
        try
        {
            _ = SystemCalls.ForThisMachine();
        }
        catch (PlatformNotSupportedException ex)
        {
            throw new SandboxUnavailableException($"Without root, {ex.Message}. Run it as root.", ex);
        }

        _ = Required("setsid", "util-linux"); // ChildProcesses starts the helper in a session of its own: a terminal's Ctrl-C must not end it before the server does
        string unshare = Required("unshare", "util-linux");
        string nsenter = Required("nsenter", "util-linux");
        string perl = Required("perl", "perl-base");
        NamespaceHelper helper = await NamespaceHelper.StartAsync(
            [unshare, "--user", "--map-root-user", .. SubordinateIds.Current?.UnshareOptions ?? [], "--mount", "--propagation", "private", "--"],
            perl,
            UserNamespacePolicy.Explain);
        try
        {
            // The helper is this process's child and answered: not reaped, so the id is its own.
            return new UserMountNamespace(helper, HeldNamespaces.Of(helper.Id), nsenter);
        }
        catch (IOException ex)
        {
            await helper.DisposeAsync();
            throw new SandboxUnavailableException(UserNamespacePolicy.Explain(ex.Message), ex);
        }
    }

    public override FileCalls FileCalls { get; }

    public override Func<string, int>? RemoveAsNamespaceRoot => SubordinateIds.Current is null ? null : _helper.RemoveTree;

    public override int Mount(string source, string target, string fileSystemType, ulong flags, string? data) =>
        _helper.Mount(source, target, fileSystemType, flags, data);

    public override int Unmount(string target, int flags) => _helper.Unmount(target, flags);

    public override Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets) =>
        Task.FromResult(_helper.OpenSockets(network, sockets));

    public override Microsoft.Win32.SafeHandles.SafeFileHandle MakeNetwork(VmNetworkLayout layout) => _helper.MakeNetwork(layout);

    public override async ValueTask DisposeAsync()
    {
        await _helper.DisposeAsync(); // the helper exits when its stdin closes
        _held.Dispose(); // the last hold on the namespaces: they and every mount in them go
    }

    private static string Required(string program, string package) =>
        SandboxPrerequisites.FindExecutable(program)
        ?? throw new SandboxUnavailableException($"{program} is not installed; without root the local Arker server needs it to make its user namespace. Install it with 'sudo apt-get install {package}'.");
}
