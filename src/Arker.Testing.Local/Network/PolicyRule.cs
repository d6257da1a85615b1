using System.Net;

namespace Arker.Testing.Local.Network;

/// <summary>Which way a rule's traffic goes: connections the VM makes, or connections to its guest ports.</summary>
internal enum TrafficDirection
{
    Outbound,
    Inbound,
}

/// <summary>An inclusive range of ports; a single port is a range of one.</summary>
internal readonly record struct PortRange(int First, int Last)
{
    public bool Contains(int port) => port >= First && port <= Last;
}

/// <summary>
/// One rule of a VM's network policy, as the contract's <c>PolicyEntry</c> has it at the
/// connection layer: its present criteria AND'd (ports, IPs or CIDRs, host suffixes), each list's
/// items OR'd, an absent criterion matching anything.
/// </summary>
internal sealed class PolicyRule
{
    public required TrafficDirection Direction { get; init; }

    public required bool Allows { get; init; }

    public IReadOnlyList<PortRange> Ports { get; init; } = [];

    public IReadOnlyList<IPNetwork> Networks { get; init; } = [];

    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>Whether the rule names its ports, as a rule that lets a VM reach this machine must.</summary>
    public bool NamesPorts => Ports.Count > 0;

    public bool MatchesPort(int port) => Ports.Count == 0 || Ports.Any(range => range.Contains(port));

    public bool MatchesAddress(IPAddress address) => Networks.Count == 0 || Networks.Any(network => network.Contains(address));

    /// <summary>
    /// Label-boundary suffix match: <c>github.com</c> matches <c>api.github.com</c>, not
    /// <c>evilgithub.com</c>. A connection with no host name (to an address) matches only a rule
    /// without hosts.
    /// </summary>
    public bool MatchesHost(string? host) =>
        Hosts.Count == 0 || (host is not null && Hosts.Any(suffix => IsWithin(host, suffix)));

    private static bool IsWithin(string host, string suffix) =>
        host.Equals(suffix, StringComparison.OrdinalIgnoreCase)
        || (host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && host[host.Length - suffix.Length - 1] == '.');
}
