using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// A port of this machine offered to one VM: connections to the VM's 127.0.0.1:<see cref="GuestPort"/>
/// reach this machine's 127.0.0.1:<see cref="HostPort"/>, and nothing else of the host. A relay
/// (<c>port-relay.pl</c>, direction <c>out</c>) listens on the guest port in the VM's network
/// namespace and hands each connection to this server over a Unix socket in its folder, out of the
/// VM's sight; the server connects it to the host port. For a VM that calls back a service the
/// test started (a fake API).
/// </summary>
internal sealed class HostPortForward : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Process _relay;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    private HostPortForward(int hostPort, int guestPort, Socket listener, Process relay)
    {
        HostPort = hostPort;
        GuestPort = guestPort;
        _listener = listener;
        _relay = relay;
        _accepting = AcceptAsync();
    }

    public int HostPort { get; }

    public int GuestPort { get; }

    /// <summary>Where programs in the VM reach the host port.</summary>
    public Uri GuestUrl => new($"http://127.0.0.1:{GuestPort}/");

    /// <summary>Listens on <paramref name="socketView"/>, then starts the relay in the VM (<paramref name="relay"/>).</summary>
    public static Task<HostPortForward> OpenAsync(int hostPort, int guestPort, string socketView, ProcessStartInfo relay) =>
        RelayProcess.ListenThenAsync(socketView, async listener =>
        {
            Process process = await RelayProcess.StartAsync(relay, error =>
                LocalArkerException.InvalidInput($"the VM's 127.0.0.1:{guestPort} cannot be offered ({error}): choose another guest port"));
            return new HostPortForward(hostPort, guestPort, listener, process);
        });

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        RelayProcess.Stop(_relay);
        _listener.Dispose();
        await _accepting;
        _stopping.Dispose();
    }

    private Task AcceptAsync() => RelayProcess.AcceptAsync(stopping => _listener.AcceptAsync(stopping), CarryAsync, _stopping.Token);

    private async Task CarryAsync(Socket fromVm)
    {
        using (fromVm)
        using (var toHost = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
        {
            try
            {
                await toHost.ConnectAsync(new IPEndPoint(IPAddress.Loopback, HostPort), _stopping.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return; // nothing listens on the host port: the VM sees its connection close
            }

            await SocketJoin.CarryAsync(fromVm, toHost, _stopping.Token);
        }
    }
}
