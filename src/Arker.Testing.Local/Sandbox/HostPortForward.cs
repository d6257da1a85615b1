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
    private readonly RelayListener _link;

    private HostPortForward(int hostPort, int guestPort, RelayListener link)
    {
        HostPort = hostPort;
        GuestPort = guestPort;
        _link = link;
        link.Carry(CarryAsync);
    }

    public int HostPort { get; }

    public int GuestPort { get; }

    /// <summary>Where programs in the VM reach the host port.</summary>
    public Uri GuestUrl => new($"http://127.0.0.1:{GuestPort}/");

    /// <summary>Listens on <paramref name="socketView"/>, then starts the relay in the VM (<paramref name="relay"/>).</summary>
    public static async Task<HostPortForward> OpenAsync(int hostPort, int guestPort, string socketView, ProcessStartInfo relay) =>
        new(hostPort, guestPort, await RelayListener.OpenAsync(socketView, () => RelayProcess.StartAsync(relay, error =>
            LocalArkerException.InvalidInput($"the VM's 127.0.0.1:{guestPort} cannot be offered ({error}): choose another guest port"))));

    public ValueTask DisposeAsync() => _link.DisposeAsync();

    private async Task CarryAsync(Socket fromVm)
    {
        using (fromVm)
        using (var toHost = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
        {
            try
            {
                await toHost.ConnectAsync(new IPEndPoint(IPAddress.Loopback, HostPort), _link.Stopping);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return; // nothing listens on the host port: the VM sees its connection close
            }

            await SocketJoin.CarryAsync(fromVm, toHost, _link.Stopping);
        }
    }
}
