using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Arker.Testing.Local.Native;
using Arker.Testing.Local.Network;
using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Sandbox;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// Sockets made inside a network namespace for the server, by the server itself as root or by the
/// namespace helper without root (this class runs both ways: as root, and in the rootless run):
/// they live in that namespace whoever holds them, and what cannot be made is a clear error.
/// </summary>
public sealed class NamespaceSocketsTests : IAsyncLifetime
{
    private MountNamespace _space = null!;
    private Process _holder = null!;
    private SafeFileHandle _network = null!;

    public async ValueTask InitializeAsync()
    {
        _space = Environment.IsPrivilegedProcess ? new HostMountNamespace() : await UserMountNamespace.StartAsync();
        IReadOnlyList<string> prefix = _space.LaunchPrefix(null);
        var start = new ProcessStartInfo(prefix.Count > 0 ? prefix[0] : "unshare") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (string arg in (string[])[.. prefix.Skip(1), .. (prefix.Count > 0 ? ["unshare"] : Array.Empty<string>()), "--net", "--", "/bin/sh", "-c", "PATH=$PATH:/usr/sbin:/sbin; ip link set lo up && echo ready && read -r held"])
        {
            start.ArgumentList.Add(arg);
        }

        _holder = Process.Start(start)!;
        Assert.Equal("ready", await _holder.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken));
        _network = new SafeFileHandle(LibC.openat(LibC.AtFdCwd, $"/proc/{_holder.Id}/ns/net", LibC.ORdOnly | LibC.OCloexec, 0), ownsHandle: true);
        Assert.False(_network.IsInvalid);
    }

    [Fact]
    public async Task SocketsMadeInANetwork_ReachEachOtherThere_AndNotThisMachine()
    {
        int port = Random.Shared.Next(20000, 60000);
        Socket[] made = await _space.OpenSocketsAsync(_network, [new VmSocket(VmSocketKind.Listener, port), new VmSocket(VmSocketKind.Stream)]);
        using Socket listener = made[0];
        using Socket stream = made[1];
        using var fromHere = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        await stream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken);
        using Socket accepted = await listener.AcceptAsync(TestContext.Current.CancellationToken);
        await stream.SendAsync("across"u8.ToArray(), TestContext.Current.CancellationToken);
        byte[] received = new byte[6];
        await accepted.ReceiveAsync(received, TestContext.Current.CancellationToken);
        var refused = await Assert.ThrowsAsync<SocketException>(() => fromHere.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), TestContext.Current.CancellationToken).AsTask());

        Assert.Equal("across"u8.ToArray(), received);
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task EveryKind_IsMade_WithItsOptions()
    {
        Socket[] made = await _space.OpenSocketsAsync(_network, PreparedNetwork.GatewaySockets);
        try
        {
            Assert.Equal([SocketType.Stream, SocketType.Dgram, SocketType.Dgram, SocketType.Raw], made.Select(socket => socket.SocketType));
            Assert.Equal([1, 53, 2], made[..3].Select(socket => ((IPEndPoint)socket.LocalEndPoint!).Port));
            Assert.True(made[0].IsBound);
            byte[] transparent = new byte[4];
            made[2].GetRawSocketOption(NetworkConstants.SolIp, NetworkConstants.IpTransparent, transparent);
            Assert.Equal(1, BitConverter.ToInt32(transparent));
        }
        finally
        {
            Array.ForEach(made, socket => socket.Dispose());
        }
    }

    [Fact]
    public async Task APortInUse_OrSomethingThatIsNotANetwork_IsAnError_AndLeavesNothing()
    {
        int port = Random.Shared.Next(20000, 60000);
        using Socket first = (await _space.OpenSocketsAsync(_network, [new VmSocket(VmSocketKind.Listener, port)]))[0];
        int descriptors = Directory.GetFiles("/proc/self/fd").Length;

        var inUse = await Assert.ThrowsAsync<SocketException>(() => _space.OpenSocketsAsync(_network, [new VmSocket(VmSocketKind.Stream), new VmSocket(VmSocketKind.Listener, port)]));
        using SafeFileHandle notANetwork = File.OpenHandle("/dev/null");
        Exception missing = await Assert.ThrowsAnyAsync<Exception>(() => _space.OpenSocketsAsync(notANetwork, [new VmSocket(VmSocketKind.Stream)]));
        const int Attempts = 1000;
        for (int i = 0; i < Attempts; i++)
        {
            await Assert.ThrowsAsync<SocketException>(() => _space.OpenSocketsAsync(_network, [new VmSocket(VmSocketKind.Stream), new VmSocket(VmSocketKind.Listener, port)]));
        }

        Assert.Equal(SocketError.AddressAlreadyInUse, inUse.SocketErrorCode);
        Assert.True(missing is IOException or SocketException, missing.ToString());
        // The stream socket of each failed attempt was closed: a leak would add one per attempt. Other
        // tests of this process open and close descriptors meanwhile, by far fewer than that.
        Assert.True(Directory.GetFiles("/proc/self/fd").Length - descriptors < Attempts / 2, $"{Directory.GetFiles("/proc/self/fd").Length - descriptors} more descriptors after {Attempts} failed attempts");
    }

    [Fact]
    public async Task TheNamespaceHelper_Compiles()
    {
        using Stream resource = typeof(UserMountNamespace).Assembly.GetManifestResourceStream("Arker.Testing.Local.Isolation.namespace-helper.pl")!;
        string script = await new StreamReader(resource).ReadToEndAsync(TestContext.Current.CancellationToken);
        using var check = Process.Start(new ProcessStartInfo("perl", ["-c", "-e", script]) { RedirectStandardError = true })!;
        string verdict = await check.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await check.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal((0, "-e syntax OK"), (check.ExitCode, verdict.Trim()));
    }

    public async ValueTask DisposeAsync()
    {
        _network.Dispose();
        _holder.StandardInput.Close();
        await _holder.WaitForExitAsync();
        _holder.Dispose();
        await _space.DisposeAsync();
    }
}
