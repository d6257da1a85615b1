using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.Local.Network;

/// <summary>
/// A VM's guest port, reachable from this machine at <see cref="Url"/>: the server listens on a
/// free port of 127.0.0.1 and connects each connection it gets to the guest's
/// 127.0.0.1:<see cref="GuestPort"/> from a socket made inside the VM's network namespace (see
/// <see cref="VmSocket"/>), then carries it. No process is involved. Any TCP protocol passes
/// (HTTP, a database's own). A connection to a port nothing listens on in the VM is closed at once.
/// </summary>
internal sealed class ExposedPort : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<Task<Socket>> _socketInVm;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    /// <summary>Listens for <paramref name="guestPort"/>; <paramref name="socketInVm"/> makes an unconnected TCP socket in the VM's network namespace.</summary>
    public ExposedPort(int guestPort, Func<Task<Socket>> socketInVm)
    {
        GuestPort = guestPort;
        _socketInVm = socketInVm;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptLoop.RunAsync(
            async stopping =>
            {
                Socket client = await _listener.AcceptSocketAsync(stopping);
                client.NoDelay = true; // carry each write at once, as the guest sent it
                return client;
            },
            CarryAsync,
            _stopping.Token);
    }

    public int GuestPort { get; }

    /// <summary>Where the test process reaches the guest port.</summary>
    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stopping.Dispose();
    }

    /// <summary>Joins one accepted connection to the guest port until both sides have ended, or the port stops.</summary>
    private async Task CarryAsync(Socket client)
    {
        using (client)
        {
            Socket toGuest;
            try
            {
                toGuest = await _socketInVm();
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                return; // the VM's network is going: the client sees the connection close
            }

            using (toGuest)
            {
                toGuest.NoDelay = true;
                try
                {
                    await toGuest.ConnectAsync(new IPEndPoint(IPAddress.Loopback, GuestPort), _stopping.Token);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    return; // nothing listens on the guest port, or the port is closing
                }

                await Network.SocketJoin.CarryAsync(client, toGuest, _stopping.Token);
            }
        }
    }
}
