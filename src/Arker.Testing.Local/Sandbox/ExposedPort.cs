using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// A VM's guest port, reachable from this machine at <see cref="Url"/>: the server listens on a
/// free port of 127.0.0.1 and carries each connection to a relay (<c>port-relay.pl</c>) that lives
/// in the VM's network namespace, on a Unix socket in the server's instance folder, out of the
/// VM's sight; the relay connects to the guest's 127.0.0.1:<see cref="GuestPort"/>. Any TCP
/// protocol passes (HTTP, a database's own). A connection to a port nothing listens on in the VM
/// is closed at once.
/// </summary>
internal sealed class ExposedPort : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Process _relay;
    private readonly string _socketPath;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    private ExposedPort(int guestPort, TcpListener listener, Process relay, string socketPath)
    {
        GuestPort = guestPort;
        _listener = listener;
        _relay = relay;
        _socketPath = socketPath;
        _accepting = AcceptAsync();
    }

    public int GuestPort { get; }

    /// <summary>Where the test process reaches the guest port.</summary>
    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>
    /// Starts the relay (<paramref name="relay"/>, which makes its socket at <paramref name="socketPath"/>,
    /// reached from here at <paramref name="socketView"/>) and listens for <paramref name="guestPort"/>.
    /// </summary>
    public static async Task<ExposedPort> OpenAsync(int guestPort, ProcessStartInfo relay, string socketPath, string socketView)
    {
        RelayProcess.CheckSocketPath(socketView);
        Process process = await RelayProcess.StartAsync(relay, error => new IOException($"the relay of guest port {guestPort} did not start: {error}"));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new ExposedPort(guestPort, listener, process, socketView);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        RelayProcess.Stop(_relay);
        _stopping.Dispose();
    }

    private Task AcceptAsync() => RelayProcess.AcceptAsync(
        async stopping =>
        {
            Socket client = await _listener.AcceptSocketAsync(stopping);
            client.NoDelay = true; // relay each write at once, as the guest sent it
            return client;
        },
        CarryAsync,
        _stopping.Token);

    /// <summary>Joins one accepted connection to the relay until both sides have ended, or the port stops.</summary>
    private async Task CarryAsync(Socket client)
    {
        using (client)
        using (var relay = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                await relay.ConnectAsync(new UnixDomainSocketEndPoint(_socketPath), _stopping.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return; // the relay is gone (the port is closing): the client sees the connection close
            }

            await SocketJoin.CarryAsync(client, relay, _stopping.Token);
        }
    }
}
