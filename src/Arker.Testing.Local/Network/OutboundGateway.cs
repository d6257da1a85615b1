using System.Net;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Network;

/// <summary>
/// One VM's way out, served by this server from sockets made inside the VM's network namespace
/// (<see cref="PreparedNetwork"/>), where nftables rules send every outbound TCP connection, DNS
/// query and other datagram. The VM's policy decides each: a lookup is answered with one of the
/// VM's own addresses for the name (<see cref="GuestAddresses"/>); a connection or UDP flow is
/// resolved, judged, made from this machine and carried, or refused (a TCP connection with a
/// reset; a flow's datagrams are dropped). Nothing else leaves the VM. No process is started for
/// any of it: a VM's network costs the server descriptors and memory, bounded per VM
/// (<see cref="MaxConnections"/>, <see cref="MaxFlows"/>, <see cref="MaxPendingLookups"/>).
/// </summary>
internal sealed partial class OutboundGateway : IAsyncDisposable
{
    /// <summary>TCP connections one VM may have carried at once; past it, new ones are reset.</summary>
    public const int MaxConnections = 1024;

    /// <summary>UDP flows one VM may have open at once; past it, datagrams of new flows are dropped.</summary>
    public const int MaxFlows = 1024;

    /// <summary>DNS queries of one VM being answered at once; past it, new ones are dropped (resolvers ask again).</summary>
    public const int MaxPendingLookups = 256;

    private readonly PreparedNetwork _network;
    private readonly Func<NetworkPolicy> _policy;
    private readonly GatewaySettings _settings;
    private readonly GuestAddresses _names = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _serving;

    /// <summary>Starts serving <paramref name="network"/>'s gateway sockets for a VM whose policy <paramref name="policy"/> reads at each connection and lookup.</summary>
    public OutboundGateway(PreparedNetwork network, Func<NetworkPolicy> policy, GatewaySettings settings)
    {
        _network = network;
        _policy = policy;
        _settings = settings;
        _serving = [ServeConnectionsAsync(), ServeLookupsAsync(), ServeDatagramsAsync()];
    }

    /// <summary>The VM's network namespace, for its sandboxes to join.</summary>
    public PreparedNetwork Network => _network;

    private CancellationToken Stopping => _stopping.Token;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _network.Dispose();
        await Task.WhenAll(_serving);
        await Task.WhenAll(OpenConnections());
        await Task.WhenAll(OpenFlows());
        _stopping.Dispose();
    }

    /// <summary>
    /// The address of this machine's side to reach for the VM's <paramref name="destination"/>
    /// (one of its own addresses for a name, or an address as it is), if the VM's policy allows
    /// <paramref name="port"/> there; null, logged, if not.
    /// </summary>
    private async Task<IPAddress?> AllowedAsync(IPAddress destination, int port, string what)
    {
        NetworkPolicy policy = _policy();
        string? host = GuestAddresses.IsGuestAddress(destination) ? _names.NameOf(destination) : null;
        IPAddress[] candidates = host is null
            ? GuestAddresses.IsGuestAddress(destination) ? [] : [destination]
            : policy.AllowsLookup(host, _settings.DefaultAccess) ? await _settings.Lookup.ResolveAsync(host, Stopping) : [];
        IPAddress? allowed = candidates.FirstOrDefault(address =>
            policy.AllowsOutbound(host, address, port, _settings.Lookup.IsThisMachine(address), _settings.DefaultAccess));
        if (allowed is null)
        {
            _settings.Logger.LogInformation("Refused a VM's {What} to {Destination}:{Port}: its network policy does not allow it", what, host ?? destination.ToString(), port);
        }

        return allowed;
    }

    /// <summary>Whether a loop or carrier ended because the VM's network is going (not by a fault).</summary>
    private bool IsStopping(Exception ex) =>
        Stopping.IsCancellationRequested && ex is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException;
}

/// <summary>What every VM's gateway shares: the server's default for an empty policy, this machine's names, the clock, the log.</summary>
internal sealed record GatewaySettings(NetworkAccess DefaultAccess, HostLookup Lookup, TimeProvider Clock, ILogger Logger);
