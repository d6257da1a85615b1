using System.Text.Json;
using Arker.Testing.Local.Api.V1;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>Reading the contract's policy document: what is malformed is bad_request naming the field, what cannot be enforced here is unsupported.</summary>
public sealed class PolicyDocumentsTests
{
    [Fact]
    public void A_document_becomes_rules_in_order_with_ports_ranges_networks_and_hosts()
    {
        NetworkPolicy policy = Read("""
            {"policies": [
              {"type": "outbound", "match": {"ports": [443, [8000, 8099]], "hosts": ["Example.COM."]}, "action": "allow"},
              {"type": "outbound", "match": {"ips": ["10.0.0.0/8"]}, "action": "deny"},
              {"type": "inbound", "match": {"ports": [8080]}, "action": "allow", "auth": "open"}
            ]}
            """);

        Assert.Equal(3, policy.Rules.Count);
        Assert.Equal([new PortRange(443, 443), new PortRange(8000, 8099)], policy.Rules[0].Ports);
        Assert.Equal(["example.com"], policy.Rules[0].Hosts);
        Assert.False(policy.Rules[1].Allows);
        Assert.Equal(TrafficDirection.Inbound, policy.Rules[2].Direction);
    }

    [Fact]
    public void No_policies_is_the_empty_policy() =>
        Assert.Empty(Read("""{"policies": null}""").Rules);

    [Theory]
    [InlineData("""[]""", "must be a JSON object")]
    [InlineData("""{"policies": {}}""", "field 'policies' must be an array")]
    [InlineData("""{"policies": [], "extra": 1}""", "field 'extra' is not part of a network policy")]
    [InlineData("""{"policies": [{"type": "sideways", "action": "allow"}]}""", "field 'policies[0].type' must be \"outbound\" or \"inbound\" (got \"sideways\")")]
    [InlineData("""{"policies": [{"type": "outbound"}]}""", "field 'policies[0].action' is required")]
    [InlineData("""{"policies": [{"type": "outbound", "match": {"ports": [70000]}, "action": "allow"}]}""", "field 'policies[0].match.ports[0]' must be a port between 1 and 65535 (got 70000)")]
    [InlineData("""{"policies": [{"type": "outbound", "match": {"ports": [[90, 80]]}, "action": "allow"}]}""", "is a range whose start (90) is after its end (80)")]
    [InlineData("""{"policies": [{"type": "outbound", "match": {"ips": ["not-an-ip"]}, "action": "allow"}]}""", "must be an IP address or a CIDR")]
    [InlineData("""{"policies": [{"type": "outbound", "match": {"ips": ["10.0.0.1"], "hosts": ["a.com"]}, "action": "allow"}]}""", "mutually exclusive")]
    [InlineData("""{"policies": [{"type": "inbound", "match": {"ports": [[80, 90]]}, "action": "allow"}]}""", "must list individual ports (no ranges)")]
    [InlineData("""{"policies": [{"type": "inbound", "match": {"hosts": ["a.com"], "ports": [80]}, "action": "allow"}]}""", "cannot match 'hosts'")]
    [InlineData("""{"policies": [{"type": "outbound", "action": "allow", "auth": "open"}]}""", "belongs to inbound allow rules")]
    public void A_malformed_document_is_a_bad_request_saying_what_is_wrong(string document, string message)
    {
        ContractException refused = Assert.Throws<ContractException>(() => Read(document));

        Assert.Equal(("bad_request", 400), (refused.Code, refused.Status));
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"policies": [], "secrets": {"token": "x"}}""", "no rewrite actions, so no secrets")]
    [InlineData("""{"policies": [{"type": "outbound", "match": {"paths": ["/x"]}, "action": "allow"}]}""", "matches connections, not requests")]
    [InlineData("""{"policies": [{"type": "outbound", "action": {"rewrite": {}}}]}""", "no request-level engine")]
    public void What_the_local_server_cannot_enforce_is_unsupported_not_silently_ignored(string document, string message)
    {
        ContractException refused = Assert.Throws<ContractException>(() => Read(document));

        Assert.Equal("unsupported_operation", refused.Code);
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    private static NetworkPolicy Read(string document)
    {
        using JsonDocument parsed = JsonDocument.Parse(document);
        return PolicyDocuments.Read(parsed.RootElement);
    }
}
