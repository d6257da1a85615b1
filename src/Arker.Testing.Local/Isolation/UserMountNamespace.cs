using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Arker.Testing.Local.Native;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// Without root: a user namespace, in which the server's user is root, and a private mount
/// namespace owned by it, held by a small long-lived helper (<c>unshare</c> starting
/// <c>namespace-helper.pl</c>) that makes the server's mounts, and its sockets in VM networks, on
/// request over a Unix socket, and VM networks (with <c>vm-network.pl</c>, no process started). The server holds the helper's namespaces and root by descriptors it
/// opened as the helper started (<see cref="HeldNamespaces"/>), reaches the mounted VM files through
/// that root and starts sandboxes in those namespaces: never in another process's, even if the
/// helper dies and its id is taken again.
/// The helper runs in a session of its own, so a terminal's Ctrl-C does not reach it; when the
/// server dies its socket closes, the helper exits, and the namespaces and their mounts vanish
/// with it. As in rootless Podman, VM processes and files belong to the invoking user outside:
/// uid 1000 inside a VM is that user on the host. Where the machine grants the user subordinate ids
/// (see <see cref="SubordinateIds"/>), the namespace has them too, for the other ids of VMs with
/// root inside (see <see cref="VmIdMap"/>).
/// </summary>
internal sealed class UserMountNamespace : MountNamespace
{
    private readonly Process _helper;
    private readonly HeldNamespaces _held;
    private readonly Socket _channel;
    private readonly string _nsenter;
    private readonly Lock _gate = new();
    private readonly byte[] _answer = new byte[256];

    /// <summary>How long a helper whose mount table cannot be read is given to be seen exiting.</summary>
    private static readonly TimeSpan HelperExitPatience = TimeSpan.FromSeconds(5);

    private UserMountNamespace(Process helper, HeldNamespaces held, Socket channel, string nsenter)
    {
        _helper = helper;
        _held = held;
        _channel = channel;
        _nsenter = nsenter;
        FileCalls = SubordinateIds.Current is null ? FileCalls.Direct : new NamespaceFileCalls(this);
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
            return _helper.HasExited ? [] : File.ReadAllLines($"/proc/{Pid}/mountinfo");
        }
        catch (IOException) when (_helper.WaitForExit(HelperExitPatience))
        {
            // Killed a moment ago: its namespaces are released before it is a zombie, and /proc
            // answers EINVAL (then ENOENT) while this process has not yet seen it exit.
            return [];
        }
    }

    private string Pid => _helper.Id.ToString(CultureInfo.InvariantCulture);

    public override string View(string path) => _held.Root + path;

    public override string Describe() =>
        $"rootless: a user namespace of uid {LibC.getuid()}, who owns VM processes and files on the host" +
        (SubordinateIds.Current is { } ids ? $", and its subordinate ids from {ids.FirstUserId} (uids) and {ids.FirstGroupId} (gids) for VMs' other ids" : "");

    public static async Task<UserMountNamespace> StartAsync()
    {
        ArchitectureCalls calls = SystemCallNumbers();
        _ = Required("setsid", "util-linux"); // ChildProcesses starts the helper in a session of its own: a terminal's Ctrl-C must not end it before the server does
        string unshare = Required("unshare", "util-linux");
        string nsenter = Required("nsenter", "util-linux");
        string perl = Required("perl", "perl-base");
        string channelName = "arker-local-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + channelName));
        listener.Listen(1);
        ProcessStartInfo start = ChildProcesses.Piped(unshare);
        foreach (string arg in (string[])["--user", "--map-root-user", .. SubordinateIds.Current?.UnshareOptions ?? [], "--mount", "--propagation", "private", "--", perl, "-e", ReadHelperScript(),
            $"channel={channelName}", $"mount={calls.Mount}", $"umount2={calls.Umount2}", $"setns={calls.Setns}", $"unshare={calls.Unshare}", $"sendmsg={calls.Sendmsg}", $"recvmsg={calls.Recvmsg}", $"openat2={SystemCalls.Openat2}",
            $"msg_cmsg_cloexec={NetworkConstants.MsgCmsgCloexec}",
            $"clone_newnet={NetworkConstants.CloneNewNet}", $"sol_ip={NetworkConstants.SolIp}", $"ip_transparent={NetworkConstants.IpTransparent}",
            $"ip_recvorigdstaddr={NetworkConstants.IpRecvOrigDstAddr}", $"ip_proto_raw={NetworkConstants.IpProtoRaw}", $"scm_rights={NetworkConstants.ScmRights}"])
        {
            start.ArgumentList.Add(arg);
        }

        Process helper = await ChildProcesses.StartAsync(start);
        Socket? channel = null;
        HeldNamespaces? held = null;
        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? ready = await helper.StandardOutput.ReadLineAsync(patience.Token);
            channel = ready == "ready" ? await listener.AcceptAsync(patience.Token) : null;
            if (channel is null || SocketMessages.PeerProcess(channel) != helper.Id)
            {
                throw new OperationCanceledException();
            }

            held = HeldNamespaces.Of(helper.Id); // the helper is this process's child, not yet reaped: the id is its own
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            channel?.Dispose();
            held?.Dispose();
            ChildProcesses.Kill(helper);
            string error = await helper.StandardError.ReadToEndAsync();
            await helper.WaitForExitAsync();
            helper.Dispose();
            throw new SandboxUnavailableException(UserNamespacePolicy.Explain(error.Trim()));
        }

        channel.Blocking = true;
        _ = DrainAsync(helper.StandardError);
        return new UserMountNamespace(helper, held!, channel, nsenter);
    }

    public override FileCalls FileCalls { get; }

    public override int Mount(string source, string target, string fileSystemType, ulong flags, string? data) =>
        Request($"M\0{source}\0{target}\0{fileSystemType}\0{flags.ToString(CultureInfo.InvariantCulture)}\0{data ?? ""}", [], passed: null);

    public override int Unmount(string target, int flags) =>
        Request($"U\0{target}\0{flags.ToString(CultureInfo.InvariantCulture)}", [], passed: null);

    public override Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets)
    {
        var descriptors = new List<int>();
        int errno = Request($"S\0{string.Join('\0', sockets.Select(s => s.Wire))}", descriptors, network);
        Socket[] made = [.. descriptors.Select(fd => new Socket(new SafeSocketHandle(fd, ownsHandle: true)))];
        if (errno == 0 && made.Length == sockets.Length)
        {
            return Task.FromResult(made);
        }

        foreach (Socket socket in made)
        {
            socket.Dispose();
        }

        throw SocketErrors.FromErrno(errno == 0 ? LibC.EInval : errno);
    }

    public override Microsoft.Win32.SafeHandles.SafeFileHandle MakeNetwork(VmNetworkLayout layout)
    {
        var descriptors = new List<int>();
        int errno = Request(string.Join('\0', ["N", .. layout.Fields]), descriptors, passed: null);
        if (errno == 0 && descriptors.Count == 1)
        {
            return new Microsoft.Win32.SafeHandles.SafeFileHandle(descriptors[0], ownsHandle: true);
        }

        descriptors.ForEach(descriptor => LibC.close(descriptor));
        throw new IOException($"the namespace helper could not make a VM network: {LibC.Describe(errno == 0 ? LibC.EInval : errno)}");
    }

    /// <summary>
    /// A call of the file API made by the helper (see <see cref="NamespaceFileCalls"/>) in
    /// <paramref name="directory"/>: the descriptor it opened (<c>O</c>) or 0, else -1 with the
    /// errno in <see cref="LibC.LastError"/>.
    /// </summary>
    public int FileCall(string operation, int directory, params object[] fields)
    {
        string[] words = [operation, .. fields.Select(field => Convert.ToString(field, CultureInfo.InvariantCulture)!)];
        if (words.Any(word => word.Contains('\n', StringComparison.Ordinal) || word.Contains('\0', StringComparison.Ordinal)))
        {
            Marshal.SetLastPInvokeError(LibC.EInval); // not a name the helper's lines can carry
            return -1;
        }

        var descriptors = new List<int>();
        using var passed = new Microsoft.Win32.SafeHandles.SafeFileHandle(directory, ownsHandle: false);
        int errno = Request(string.Join('\0', words), descriptors, passed);
        if (errno != 0)
        {
            foreach (int descriptor in descriptors)
            {
                _ = LibC.close(descriptor);
            }

            Marshal.SetLastPInvokeError(errno);
            return -1;
        }

        return descriptors.Count == 1 ? descriptors[0] : 0;
    }

    public override async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await ChildProcesses.EndAsync(_helper, TimeSpan.FromSeconds(5)); // the helper exits when its stdin closes
        _held.Dispose(); // the last hold on the namespaces: they and every mount in them go
    }

    /// <summary>
    /// Sends one request line (with <paramref name="passed"/>, a descriptor the helper needs) and
    /// reads its answer (the errno, 0 for success) and the descriptors sent with it.
    /// </summary>
    private int Request(string line, List<int> descriptors, SafeHandle? passed)
    {
        if (line.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("a mount path, option or network path contains a line break", nameof(line));
        }

        lock (_gate)
        {
            try
            {
                byte[] request = Encoding.UTF8.GetBytes(line + "\n");
                if (passed is null)
                {
                    _channel.Send(request);
                }
                else
                {
                    SocketMessages.SendWithDescriptors(_channel, request, passed);
                }

                int length = 0;
                int end;
                while ((end = Array.IndexOf(_answer, (byte)'\n', 0, length)) < 0)
                {
                    int read = length < _answer.Length ? SocketMessages.ReceiveWithDescriptors(_channel, _answer.AsSpan(length), descriptors) : 0;
                    length += read > 0 ? read : throw new SocketException((int)SocketError.ConnectionReset);
                }

                return int.Parse(_answer.AsSpan(0, end), CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                throw new IOException($"the local server's namespace helper (pid {Pid}) exited; its mounts are gone. Restart the server.", ex);
            }
        }
    }

    private static ArchitectureCalls SystemCallNumbers()
    {
        try
        {
            return SystemCalls.ForThisMachine();
        }
        catch (PlatformNotSupportedException ex)
        {
            throw new SandboxUnavailableException($"Without root, {ex.Message}. Run it as root.", ex);
        }
    }

    private static string Required(string program, string package) =>
        SandboxPrerequisites.FindExecutable(program)
        ?? throw new SandboxUnavailableException($"{program} is not installed; without root the local Arker server needs it to make its user namespace. Install it with 'sudo apt-get install {package}'.");

    private static string ReadHelperScript() =>
        EmbeddedScript.Read("Arker.Testing.Local.Isolation.vm-network.pl") + EmbeddedScript.Read("Arker.Testing.Local.Isolation.namespace-helper.pl");

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null)
        {
        }
    }
}
