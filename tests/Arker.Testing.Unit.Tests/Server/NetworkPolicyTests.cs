using System.Net;
using System.Text.Json;
using Arker.Testing.Local;
using Arker.Testing.Local.Api.V1;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>Policy matching: first match decides, host suffixes on label boundaries, this machine only by a named port.</summary>
public sealed class NetworkPolicyTests
{
    private static readonly IPAddress Outside = IPAddress.Parse("203.0.113.7");

    [Theory]
    [InlineData(NetworkAccess.Open, false, true)]
    [InlineData(NetworkAccess.Open, true, false)]
    [InlineData(NetworkAccess.Closed, false, false)]
    public void An_empty_policy_leaves_the_decision_to_the_server_default_and_never_lets_a_VM_reach_this_machine(NetworkAccess fallback, bool toThisMachine, bool allowed) =>
        Assert.Equal(allowed, NetworkPolicy.None.AllowsOutbound("example.com", Outside, 443, toThisMachine, fallback));

    [Fact]
    public void The_first_matching_rule_decides_and_unmatched_traffic_is_denied()
    {
        NetworkPolicy policy = Policy("""
            {"policies": [
              {"type": "outbound", "match": {"hosts": ["internal.example.com"]}, "action": "deny"},
              {"type": "outbound", "match": {"hosts": ["example.com"], "ports": [443]}, "action": "allow"}
            ]}
            """);

        Assert.True(policy.AllowsOutbound("api.example.com", Outside, 443, toThisMachine: false, NetworkAccess.Open));
        Assert.False(policy.AllowsOutbound("internal.example.com", Outside, 443, toThisMachine: false, NetworkAccess.Open));
        Assert.False(policy.AllowsOutbound("api.example.com", Outside, 80, toThisMachine: false, NetworkAccess.Open));
        Assert.False(policy.AllowsOutbound("other.org", Outside, 443, toThisMachine: false, NetworkAccess.Open));
    }

    [Theory]
    [InlineData("github.com", true)]
    [InlineData("api.github.com", true)]
    [InlineData("API.GitHub.com", true)]
    [InlineData("evilgithub.com", false)]
    [InlineData("github.com.evil.org", false)]
    [InlineData(null, false)]
    public void A_host_rule_matches_the_name_and_its_subdomains_on_label_boundaries(string? host, bool matches) =>
        Assert.Equal(matches, Policy("""{"policies": [{"type": "outbound", "match": {"hosts": ["github.com"]}, "action": "allow"}]}""")
            .AllowsOutbound(host, Outside, 443, toThisMachine: false, NetworkAccess.Closed));

    [Fact]
    public void An_address_rule_matches_its_network()
    {
        NetworkPolicy policy = Policy("""{"policies": [{"type": "outbound", "match": {"ips": ["10.0.0.0/8", "192.0.2.1"]}, "action": "allow"}]}""");

        Assert.True(policy.AllowsOutbound(null, IPAddress.Parse("10.20.30.40"), 5432, toThisMachine: false, NetworkAccess.Closed));
        Assert.True(policy.AllowsOutbound(null, IPAddress.Parse("192.0.2.1"), 5432, toThisMachine: false, NetworkAccess.Closed));
        Assert.False(policy.AllowsOutbound(null, IPAddress.Parse("192.0.2.2"), 5432, toThisMachine: false, NetworkAccess.Closed));
    }

    [Fact]
    public void This_machine_is_reached_only_through_an_allow_rule_that_names_the_port()
    {
        NetworkPolicy anyPort = Policy("""{"policies": [{"type": "outbound", "action": "allow"}]}""");
        NetworkPolicy namedPort = Policy("""{"policies": [{"type": "outbound", "match": {"ports": [5432]}, "action": "allow"}]}""");

        Assert.True(anyPort.AllowsOutbound(null, Outside, 5432, toThisMachine: false, NetworkAccess.Closed));
        Assert.False(anyPort.AllowsOutbound(null, IPAddress.Loopback, 5432, toThisMachine: true, NetworkAccess.Closed));
        Assert.True(namedPort.AllowsOutbound(null, IPAddress.Loopback, 5432, toThisMachine: true, NetworkAccess.Closed));
    }

    [Fact]
    public void A_lookup_is_allowed_when_some_connection_to_the_host_could_be_and_a_whole_host_deny_ends_the_search()
    {
        NetworkPolicy policy = Policy("""
            {"policies": [
              {"type": "outbound", "match": {"hosts": ["blocked.example.com"]}, "action": "deny"},
              {"type": "outbound", "match": {"hosts": ["example.com"], "ports": [22]}, "action": "deny"},
              {"type": "outbound", "match": {"hosts": ["example.com"]}, "action": "allow"}
            ]}
            """);

        Assert.True(policy.AllowsLookup("www.example.com", NetworkAccess.Closed));
        Assert.False(policy.AllowsLookup("blocked.example.com", NetworkAccess.Closed));
        Assert.False(policy.AllowsLookup("other.org", NetworkAccess.Open));
        Assert.True(NetworkPolicy.None.AllowsLookup("other.org", NetworkAccess.Open));
        Assert.False(NetworkPolicy.None.AllowsLookup("other.org", NetworkAccess.Closed));
    }

    [Fact]
    public void Without_inbound_rules_any_guest_port_may_be_exposed_with_them_only_the_ports_an_allow_rule_lists()
    {
        NetworkPolicy exposing = Policy("""{"policies": [{"type": "inbound", "match": {"ports": [8080]}, "action": "allow"}]}""");

        Assert.True(NetworkPolicy.None.AllowsInbound(9090));
        Assert.True(exposing.AllowsInbound(8080));
        Assert.False(exposing.AllowsInbound(9090));
    }

    private static NetworkPolicy Policy(string document)
    {
        using JsonDocument parsed = JsonDocument.Parse(document);
        return PolicyDocuments.Read(parsed.RootElement);
    }
}
