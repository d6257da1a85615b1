using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Arker.Testing.Local.Native;
using Arker.Testing.Local.Network;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// <c>namespace-helper.pl</c>, a small long-lived process that makes for the server, on request
/// over a private Unix socket, what needs a place or a privilege the server's own threads do not
/// have: VM networks (a network namespace set up by <c>vm-network.pl</c>, with no process started),
/// sockets inside them, and, without root, the server's mounts and the file API's calls as root
/// of the server's user namespace. Without root it is the process that holds that namespace
/// (<see cref="UserMountNamespace"/>); as root it only makes networks (<see cref="HostMountNamespace"/>).
/// It runs in a session of its own, so a terminal's Ctrl-C does not reach it, and exits when the
/// server closes its stdin or dies.
/// </summary>
internal sealed class NamespaceHelper : IAsyncDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Socket _channel;
    private readonly Lock _gate = new();
    private readonly byte[] _answer = new byte[256];

    private NamespaceHelper(Process process, Socket channel)
    {
        _process = process;
        _channel = channel;
    }

    /// <summary>The helper's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the helper has ended (killed, or its server gone).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the helper with <paramref name="perl"/>, after <paramref name="launcher"/> (a program
    /// and its arguments, ending in <c>--</c>, that puts it in its namespaces; none as root), and
    /// waits until it has connected back.
    /// </summary>
    /// <exception cref="SandboxUnavailableException">It did not start; <paramref name="explain"/> words its stderr.</exception>
    public static async Task<NamespaceHelper> StartAsync(IReadOnlyList<string> launcher, string perl, Func<string, string> explain)
    {
        ArchitectureCalls calls = SystemCalls.ForThisMachine();
        string channelName = "arker-local-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + channelName));
        listener.Listen(1);
        ProcessStartInfo start = ChildProcesses.Piped(launcher.Count > 0 ? launcher[0] : perl);
        foreach (string arg in (string[])[.. launcher.Skip(1), .. launcher.Count > 0 ? [perl] : Array.Empty<string>(), "-e", Script(),
            $"channel={channelName}", $"mount={calls.Mount}", $"umount2={calls.Umount2}", $"setns={calls.Setns}", $"unshare={calls.Unshare}", $"sendmsg={calls.Sendmsg}", $"recvmsg={calls.Recvmsg}", $"openat2={SystemCalls.Openat2}",
            $"msg_cmsg_cloexec={NetworkConstants.MsgCmsgCloexec}",
            $"clone_newnet={NetworkConstants.CloneNewNet}", $"sol_ip={NetworkConstants.SolIp}", $"ip_transparent={NetworkConstants.IpTransparent}",
            $"ip_recvorigdstaddr={NetworkConstants.IpRecvOrigDstAddr}", $"ip_proto_raw={NetworkConstants.IpProtoRaw}", $"scm_rights={NetworkConstants.ScmRights}"])
        {
            start.ArgumentList.Add(arg);
        }

        Process process = await ChildProcesses.StartAsync(start); // in a session of its own (setsid)
        Socket? channel = null;
        try
        {
            using var patience = new CancellationTokenSource(StartPatience);
            string? ready = await process.StandardOutput.ReadLineAsync(patience.Token);
            channel = ready == "ready" ? await listener.AcceptAsync(patience.Token) : null;
            if (channel is null || SocketMessages.PeerProcess(channel) != process.Id)
            {
                throw new OperationCanceledException();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
            channel?.Dispose();
            ChildProcesses.Kill(process);
            string error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.Dispose();
            throw new SandboxUnavailableException(explain(error.Trim()));
        }

        channel.Blocking = true;
        _ = DrainAsync(process.StandardError);
        return new NamespaceHelper(process, channel);
    }

    /// <summary>Waits up to <paramref name="patience"/> for the helper to be seen exiting.</summary>
    public bool WaitForExit(TimeSpan patience) => _process.WaitForExit(patience);

    /// <summary>mount(2) as the helper; 0, or the errno.</summary>
    public int Mount(string source, string target, string fileSystemType, ulong flags, string? data) =>
        Request($"M\0{source}\0{target}\0{fileSystemType}\0{flags.ToString(CultureInfo.InvariantCulture)}\0{data ?? ""}", [], passed: null);

    /// <summary>umount2(2) as the helper; 0, or the errno.</summary>
    public int Unmount(string target, int flags) =>
        Request($"U\0{target}\0{flags.ToString(CultureInfo.InvariantCulture)}", [], passed: null);

    /// <summary>Sockets made inside the network namespace <paramref name="network"/> and passed back.</summary>
    public Socket[] OpenSockets(SafeHandle network, VmSocket[] sockets)
    {
        var descriptors = new List<int>();
        int errno = Request($"S\0{string.Join('\0', sockets.Select(s => s.Wire))}", descriptors, network);
        Socket[] made = [.. descriptors.Select(fd => new Socket(new SafeSocketHandle(fd, ownsHandle: true)))];
        if (errno == 0 && made.Length == sockets.Length)
        {
            return made;
        }

        foreach (Socket socket in made)
        {
            socket.Dispose();
        }

        throw SocketErrors.FromErrno(errno == 0 ? LibC.EInval : errno);
    }

    /// <summary>A new VM network's namespace, set up as <paramref name="layout"/> says.</summary>
    /// <exception cref="IOException">It could not be made; the message has the errno.</exception>
    public SafeFileHandle MakeNetwork(VmNetworkLayout layout)
    {
        var descriptors = new List<int>();
        int errno = Request(string.Join('\0', ["N", .. layout.Fields]), descriptors, passed: null);
        if (errno == 0 && descriptors.Count == 1)
        {
            return new SafeFileHandle(descriptors[0], ownsHandle: true);
        }

        descriptors.ForEach(descriptor => LibC.close(descriptor));
        throw new IOException($"the namespace helper could not make a VM network: {LibC.Describe(errno == 0 ? LibC.EInval : errno)}");
    }

    /// <summary>
    /// A call the helper makes in <paramref name="directory"/> (see namespace-helper.pl): the
    /// descriptor it opened (<c>O</c>) or 0, else -1 with the errno in <see cref="LibC.LastError"/>.
    /// </summary>
    public int CallIn(string operation, int directory, params object[] fields)
    {
        string[] words = [operation, .. fields.Select(field => Convert.ToString(field, CultureInfo.InvariantCulture)!)];
        if (words.Any(word => word.Contains('\n', StringComparison.Ordinal) || word.Contains('\0', StringComparison.Ordinal)))
        {
            Marshal.SetLastPInvokeError(LibC.EInval); // not a name the helper's lines can carry
            return -1;
        }

        var descriptors = new List<int>();
        using var passed = new SafeFileHandle(directory, ownsHandle: false);
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

    /// <summary>
    /// Removes the folder <paramref name="path"/> and all in it, as the helper (without root, root of
    /// the server's user namespace: VM files of the subordinate ids too), on its file system only;
    /// 0 (also when nothing is there), or the errno.
    /// </summary>
    public int RemoveTree(string path)
    {
        path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        int parent = LibC.openat(LibC.AtFdCwd, Path.GetDirectoryName(path) ?? "/", LibC.OPath | LibC.ODirectory | LibC.OCloexec, 0);
        if (parent < 0)
        {
            return LibC.LastError == LibC.ENoEnt ? 0 : LibC.LastError;
        }

        try
        {
            return CallIn("T", parent, Path.GetFileName(path)) >= 0 ? 0 : LibC.LastError;
        }
        finally
        {
            _ = LibC.close(parent);
        }
    }

    /// <summary>Closes the channel and the helper's stdin; the helper exits (killed if it does not within 5 s).</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await ChildProcesses.EndAsync(_process, TimeSpan.FromSeconds(5));
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
                throw new IOException($"the local server's namespace helper (pid {_process.Id}) exited; what it held is gone. Restart the server.", ex);
            }
        }
    }

    private static string Script() =>
        EmbeddedScript.Read("Arker.Testing.Local.Isolation.vm-network.pl") + EmbeddedScript.Read("Arker.Testing.Local.Isolation.namespace-helper.pl");

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null)
        {
        }
    }
}
