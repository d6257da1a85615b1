namespace Arker.Testing.Client;

/// <summary>
/// A VM's network policy: ordered rules, the first that matches a connection deciding. Empty
/// (<see cref="Default"/>), the server's default applies: on the Arker service and, unless it was
/// started closed, on the local server, outbound is open. Non-empty, outbound traffic no rule
/// allows is denied. Inbound rules choose which guest ports may be exposed.
/// </summary>
public sealed class NetworkPolicy
{
    /// <summary>A policy of <paramref name="rules"/>, in the order they are tried.</summary>
    public NetworkPolicy(IEnumerable<NetworkRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = [.. rules];
    }

    /// <summary>No rules: the server's default.</summary>
    public static NetworkPolicy Default { get; } = new([]);

    /// <summary>Every outbound connection allowed (this machine itself stays out of a local VM's reach).</summary>
    public static NetworkPolicy Open { get; } = new([NetworkRule.AllowAllOutbound]);

    /// <summary>Nothing outbound: the VM has its own loopback only.</summary>
    public static NetworkPolicy Closed { get; } = new([NetworkRule.DenyAllOutbound]);

    /// <summary>The rules, in the order they are tried.</summary>
    public IReadOnlyList<NetworkRule> Rules { get; }
}

/// <summary>Which traffic a rule is about.</summary>
public enum NetworkDirection
{
    /// <summary>Connections the VM makes.</summary>
    Outbound,

    /// <summary>Connections to the VM's guest ports.</summary>
    Inbound,
}

/// <summary>An inclusive range of ports; a single port converts to a range of one.</summary>
/// <param name="First">The first port of the range.</param>
/// <param name="Last">The last port of the range.</param>
public readonly record struct NetworkPortRange(int First, int Last)
{
    /// <summary>The range of the one <paramref name="port"/>.</summary>
    public static implicit operator NetworkPortRange(int port) => new(port, port);

    /// <summary>The range of the one <paramref name="port"/>.</summary>
    public static NetworkPortRange FromInt32(int port) => new(port, port);
}

/// <summary>
/// One rule of a <see cref="NetworkPolicy"/>: its criteria are AND'd (each list's items OR'd, an
/// empty list matching anything). <see cref="Hosts"/> match by label-boundary suffix
/// (<c>github.com</c> matches <c>api.github.com</c>); <see cref="Ips"/> and <see cref="Hosts"/>
/// exclude each other.
/// </summary>
public sealed class NetworkRule
{
    /// <summary>Every outbound connection allowed.</summary>
    public static NetworkRule AllowAllOutbound { get; } = new() { Direction = NetworkDirection.Outbound, Allow = true };

    /// <summary>Every outbound connection denied.</summary>
    public static NetworkRule DenyAllOutbound { get; } = new() { Direction = NetworkDirection.Outbound, Allow = false };

    /// <summary>Which traffic the rule is about.</summary>
    public NetworkDirection Direction { get; init; }

    /// <summary>Whether matching traffic is allowed (else denied).</summary>
    public bool Allow { get; init; }

    /// <summary>Destination ports (outbound) or guest ports (inbound); empty for any.</summary>
    public IReadOnlyList<NetworkPortRange> Ports { get; init; } = [];

    /// <summary>Addresses or CIDRs: destinations (outbound), callers (inbound); empty for any.</summary>
    public IReadOnlyList<string> Ips { get; init; } = [];

    /// <summary>Host names, outbound only; empty for any.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>Allows outbound connections to <paramref name="host"/> (and its subdomains) on <paramref name="ports"/> (any, if none).</summary>
    public static NetworkRule AllowOutbound(string host, params int[] ports) => Outbound(allow: true, host, ports);

    /// <summary>Denies outbound connections to <paramref name="host"/> (and its subdomains) on <paramref name="ports"/> (any, if none).</summary>
    public static NetworkRule DenyOutbound(string host, params int[] ports) => Outbound(allow: false, host, ports);

    /// <summary>Lets <paramref name="ports"/> of the VM be exposed (and, once there is such a rule, no others).</summary>
    public static NetworkRule AllowInbound(params int[] ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        return new() { Direction = NetworkDirection.Inbound, Allow = true, Ports = [.. ports.Select(NetworkPortRange.FromInt32)] };
    }

    private static NetworkRule Outbound(bool allow, string host, int[] ports)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentNullException.ThrowIfNull(ports);
        return new() { Direction = NetworkDirection.Outbound, Allow = allow, Hosts = [host], Ports = [.. ports.Select(NetworkPortRange.FromInt32)] };
    }
}
