using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Arker.Testing.Local.Network;

/// <summary>
/// Names and addresses as this machine sees them, for the VMs' gateways: lookups (the server's
/// own host names first, then the system's resolver), and which addresses are this machine itself.
/// </summary>
internal sealed class HostLookup
{
    /// <summary>The name under which a VM reaches this machine, where a policy rule allows the port.</summary>
    public const string ThisMachineName = "host.arker.internal";

    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);
    private readonly Dictionary<string, IPAddress> _names;
    private static readonly TimeSpan OwnAddressesLifetime = TimeSpan.FromSeconds(10);
    private volatile OwnAddresses? _own;

    public HostLookup(IEnumerable<KeyValuePair<string, IPAddress>> hostNames)
    {
        _names = new Dictionary<string, IPAddress>(hostNames, StringComparer.OrdinalIgnoreCase);
        _names.TryAdd(ThisMachineName, IPAddress.Loopback);
    }

    /// <summary>The addresses of <paramref name="name"/>, IPv4 first; empty if there is no such name.</summary>
    public async Task<IPAddress[]> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        if (_names.TryGetValue(name, out IPAddress? given))
        {
            return [given];
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(LookupTimeout);
            IPAddress[] found = await Dns.GetHostAddressesAsync(name, timeout.Token);
            return [.. found.OrderBy(address => address.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)];
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
        {
            return [];
        }
    }

    /// <summary>Whether <paramref name="address"/> is this machine: a loopback, unspecified or local address.</summary>
    public bool IsThisMachine(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || OwnAddressesNow().Contains(address);
    }

    /// <summary>This machine's addresses, read again every few seconds (interfaces come and go).</summary>
    private HashSet<IPAddress> OwnAddressesNow()
    {
        OwnAddresses? known = _own;
        if (known is null || System.Diagnostics.Stopwatch.GetElapsedTime(known.ReadAt) > OwnAddressesLifetime)
        {
            known = new OwnAddresses(ReadOwnAddresses(), System.Diagnostics.Stopwatch.GetTimestamp());
            _own = known;
        }

        return known.Addresses;
    }

    private static HashSet<IPAddress> ReadOwnAddresses() =>
    [
        .. NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address),
    ];

    private sealed record OwnAddresses(HashSet<IPAddress> Addresses, long ReadAt);
}
