using System.Net;

namespace Arker.Testing.Local.Network;

/// <summary>
/// A VM's network policy (the contract's <c>PolicyDoc</c>): ordered rules, the first match
/// deciding. Empty, the server's default decides (<see cref="NetworkAccess"/>); non-empty,
/// unmatched outbound traffic is denied. Whatever the rules say, this machine itself (its
/// loopback, its own addresses) is reached only through an allow rule that names the port.
/// </summary>
internal sealed class NetworkPolicy(IReadOnlyList<PolicyRule> rules, string rulesJson)
{
    public static readonly NetworkPolicy None = new([], "[]");

    public IReadOnlyList<PolicyRule> Rules { get; } = rules;

    /// <summary>The rules as they were given, for reading the policy back.</summary>
    public string RulesJson { get; } = rulesJson;

    /// <summary>Whether the VM may connect to <paramref name="address"/>:<paramref name="port"/>, reached by <paramref name="host"/> if by name.</summary>
    public bool AllowsOutbound(string? host, IPAddress address, int port, bool toThisMachine, NetworkAccess fallback)
    {
        if (Rules.Count == 0)
        {
            return fallback == NetworkAccess.Open && !toThisMachine;
        }

        PolicyRule? first = Outbound().FirstOrDefault(rule => rule.MatchesPort(port) && rule.MatchesAddress(address) && rule.MatchesHost(host));
        return first is { Allows: true } && (!toThisMachine || first.NamesPorts);
    }

    /// <summary>
    /// Whether the VM may look up <paramref name="host"/>: when some connection to it could be
    /// allowed. A deny rule that covers the whole host (no ports, no addresses) ends the search.
    /// </summary>
    public bool AllowsLookup(string host, NetworkAccess fallback)
    {
        if (Rules.Count == 0)
        {
            return fallback == NetworkAccess.Open;
        }

        foreach (PolicyRule rule in Outbound().Where(rule => rule.MatchesHost(host)))
        {
            if (rule.Allows)
            {
                return true;
            }

            if (rule.Ports.Count == 0 && rule.Networks.Count == 0)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="guestPort"/> may be exposed to this machine: with no inbound rules,
    /// any; else the first inbound rule for it decides, and a port no allow rule lists stays closed.
    /// </summary>
    public bool AllowsInbound(int guestPort)
    {
        List<PolicyRule> inbound = [.. Rules.Where(rule => rule.Direction == TrafficDirection.Inbound)];
        PolicyRule? first = inbound.FirstOrDefault(rule => rule.MatchesPort(guestPort) && rule.MatchesAddress(IPAddress.Loopback));
        return first?.Allows ?? !inbound.Any(rule => rule.Allows);
    }

    private IEnumerable<PolicyRule> Outbound() => Rules.Where(rule => rule.Direction == TrafficDirection.Outbound);
}
