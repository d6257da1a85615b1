using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.Local.Network;

/// <summary>
/// A port of this machine offered to one VM: connections to the VM's 127.0.0.1:<see cref="GuestPort"/>
/// reach this machine's 127.0.0.1:<see cref="HostPort"/>, and nothing else of the host. The server
/// listens on the guest port from a socket made inside the VM's network namespace (see
/// <see cref="VmSocket"/>) and connects each connection to the host port; no process is involved.
/// For a VM that calls back a service the test started (a fake API).
/// </summary>
internal sealed class HostPortForward : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    private HostPortForward(int hostPort, int guestPort, Socket listener)
    {
        HostPort = hostPort;
        GuestPort = guestPort;
        _listener = listener;
        _accepting = AcceptLoop.RunAsync(stopping => listener.AcceptAsync(stopping), CarryAsync, _stopping.Token);
    }

    public int HostPort { get; }

    public int GuestPort { get; }

    /// <summary>Where programs in the VM reach the host port.</summary>
    public Uri GuestUrl => new($"http://127.0.0.1:{GuestPort}/");

    /// <summary>Listens on the guest port through <paramref name="openInVm"/>, which makes sockets in the VM's network namespace.</summary>
    public static async Task<HostPortForward> OpenAsync(int hostPort, int guestPort, Func<VmSocket, Task<Socket>> openInVm)
    {
        try
        {
            return new HostPortForward(hostPort, guestPort, await openInVm(new VmSocket(VmSocketKind.Listener, guestPort)));
        }
        catch (SocketException ex)
        {
            throw LocalArkerException.InvalidInput($"the VM's 127.0.0.1:{guestPort} cannot be offered ({ex.Message}): choose another guest port");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
        _stopping.Dispose();
    }

    private async Task CarryAsync(Socket fromVm)
    {
        using (fromVm)
        using (var toHost = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
        {
            fromVm.NoDelay = true;
            try
            {
                await toHost.ConnectAsync(new IPEndPoint(IPAddress.Loopback, HostPort), _stopping.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return; // nothing listens on the host port: the VM sees its connection close
            }

            await Network.SocketJoin.CarryAsync(fromVm, toHost, _stopping.Token);
        }
    }
}
