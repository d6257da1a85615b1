using System.Net;
using System.Net.Sockets;
using Arker.Testing.Local.Native;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Network;

/// <summary>The VM's outbound TCP connections, accepted where nftables redirected them.</summary>
internal sealed partial class OutboundGateway
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    private readonly HashSet<Task> _connections = [];
    private bool _warnedOfConnections;

    private async Task ServeConnectionsAsync()
    {
        try
        {
            while (true)
            {
                Socket fromVm = await _network.Connections.AcceptAsync(Stopping);
                lock (_connections)
                {
                    _connections.RemoveWhere(connection => connection.IsCompleted);
                    if (_connections.Count < MaxConnections)
                    {
                        _connections.Add(CarryConnectionAsync(fromVm));
                        continue;
                    }
                }

                WarnOnce(ref _warnedOfConnections, $"more than {MaxConnections} TCP connections at once: new ones are reset until some end");
                Reset(fromVm);
            }
        }
        catch (Exception ex) when (IsStopping(ex))
        {
            // The VM's network is going.
        }
    }

    private Task[] OpenConnections()
    {
        lock (_connections)
        {
            return [.. _connections];
        }
    }

    /// <summary>Connects the VM to where it meant to go, if its policy allows, and carries the connection; else resets it.</summary>
    private async Task CarryConnectionAsync(Socket fromVm)
    {
        await Task.Yield(); // off the accept loop
        try
        {
            IPEndPoint meant = OriginalDestination(fromVm);
            if (await AllowedAsync(meant.Address, meant.Port, "connection") is not { } allowed)
            {
                Reset(fromVm);
                return;
            }

            using var upstream = new Socket(allowed.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(Stopping))
            {
                connecting.CancelAfter(ConnectTimeout);
                try
                {
                    await upstream.ConnectAsync(new IPEndPoint(allowed, meant.Port), connecting.Token);
                }
                catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !Stopping.IsCancellationRequested))
                {
                    Reset(fromVm); // unreachable from here: the VM sees a refusal, as it would directly
                    return;
                }
            }

            fromVm.NoDelay = true;
            await SocketJoin.CarryAsync(fromVm, upstream, Stopping);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or FormatException)
        {
            // The VM side went away, or the VM is being deleted.
        }
        finally
        {
            fromVm.Dispose();
        }
    }

    /// <summary>Where a connection nftables redirected to the gateway was going (<c>SO_ORIGINAL_DST</c>).</summary>
    private static IPEndPoint OriginalDestination(Socket redirected)
    {
        byte[] address = new byte[16];
        int length = redirected.GetRawSocketOption(NetworkConstants.SolIp, NetworkConstants.SoOriginalDst, address);
        return ControlMessages.ReadIPv4(address.AsSpan(0, length));
    }

    /// <summary>Closes a connection with a reset, as a refusal looks to the VM.</summary>
    private static void Reset(Socket connection)
    {
        try
        {
            connection.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Gone already.
        }

        connection.Dispose();
    }

    private void WarnOnce(ref bool warned, string what)
    {
        if (!warned)
        {
            warned = true;
            _settings.Logger.LogWarning("A VM's network reached its limit of {What}", what);
        }
    }
}
