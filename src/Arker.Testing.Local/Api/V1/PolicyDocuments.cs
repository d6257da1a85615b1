using System.Net;
using System.Text.Json;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// The contract's policy document (<c>PolicyWriteRequest</c>) read into a <see cref="NetworkPolicy"/>,
/// with its validation: what is malformed is <c>bad_request</c>; what the local server cannot
/// enforce (request-level matches, rewrite, gate and scaling actions, secrets) is
/// <c>unsupported_operation</c>, since a rule that silently did nothing would be worse than none.
/// </summary>
internal static class PolicyDocuments
{
    private static readonly string[] DocumentFields = ["policies", "secrets", "hostname", "mitm_domains", "warnings"];
    private static readonly string[] RuleFields = ["type", "match", "action", "auth"];
    private static readonly string[] ConnectionMatches = ["ports", "ips", "hosts"];
    private static readonly string[] RequestMatches = ["methods", "paths", "headers", "body_contains"];

    /// <summary>The policy in a request's <c>policies</c> field (fork, run, patch), or null when it has none.</summary>
    public static NetworkPolicy? ReadField(JsonFields body)
    {
        if (!body.Has("policies"))
        {
            return null;
        }

        using JsonDocument document = JsonDocument.Parse(body.RawText);
        return Read(document.RootElement.GetProperty("policies"));
    }

    public static NetworkPolicy Read(JsonElement document)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            throw ContractException.BadRequest("the policy document must be a JSON object: {\"policies\": [ ... ]}");
        }

        RejectUnknown(document, DocumentFields, "");
        if (document.TryGetProperty("secrets", out JsonElement secrets) && secrets.ValueKind == JsonValueKind.Object && secrets.EnumerateObject().Any())
        {
            throw ContractException.Unsupported("the local Arker server has no rewrite actions, so no secrets: omit 'secrets'", "network_policy");
        }

        if (!document.TryGetProperty("policies", out JsonElement policies) || policies.ValueKind == JsonValueKind.Null)
        {
            return NetworkPolicy.None;
        }

        if (policies.ValueKind != JsonValueKind.Array)
        {
            throw ContractException.BadRequest("field 'policies' must be an array of rules");
        }

        List<PolicyRule> rules = [.. policies.EnumerateArray().Select((rule, index) => Rule(rule, $"policies[{index}]"))];
        return new NetworkPolicy(rules, policies.GetRawText());
    }

    private static PolicyRule Rule(JsonElement rule, string at)
    {
        if (rule.ValueKind != JsonValueKind.Object)
        {
            throw ContractException.BadRequest($"field '{at}' must be an object: {{\"type\": \"outbound\", \"match\": {{...}}, \"action\": \"allow\"}}");
        }

        RejectUnknown(rule, RuleFields, $"{at}.");
        TrafficDirection direction = Text(rule, "type", at) switch
        {
            "outbound" => TrafficDirection.Outbound,
            "inbound" => TrafficDirection.Inbound,
            string other => throw ContractException.BadRequest($"field '{at}.type' must be \"outbound\" or \"inbound\" (got \"{other}\")"),
        };
        bool allows = Action(rule, at);
        JsonElement match = rule.TryGetProperty("match", out JsonElement given) && given.ValueKind != JsonValueKind.Null ? given : default;
        if (match.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Object))
        {
            throw ContractException.BadRequest($"field '{at}.match' must be an object");
        }

        var read = new PolicyRule
        {
            Direction = direction,
            Allows = allows,
            Ports = match.ValueKind == JsonValueKind.Object ? Ports(match, $"{at}.match.ports") : [],
            Networks = match.ValueKind == JsonValueKind.Object ? Networks(match, $"{at}.match.ips") : [],
            Hosts = match.ValueKind == JsonValueKind.Object ? Hosts(match, $"{at}.match.hosts") : [],
        };
        if (match.ValueKind == JsonValueKind.Object)
        {
            RejectUnknown(match, [.. ConnectionMatches, .. RequestMatches], $"{at}.match.");
            if (RequestMatches.FirstOrDefault(field => match.TryGetProperty(field, out _)) is { } requestLevel)
            {
                throw ContractException.Unsupported($"the local Arker server matches connections, not requests: '{at}.match.{requestLevel}' cannot be enforced here; match ports, ips or hosts", "network_policy");
            }
        }

        Check(read, rule, at);
        return read;
    }

    private static void Check(PolicyRule rule, JsonElement element, string at)
    {
        if (rule.Networks.Count > 0 && rule.Hosts.Count > 0)
        {
            throw ContractException.BadRequest($"rule '{at}' matches both 'ips' and 'hosts': they are mutually exclusive, write two rules");
        }

        bool hasAuth = element.TryGetProperty("auth", out JsonElement auth) && auth.ValueKind != JsonValueKind.Null;
        if (hasAuth && auth.GetString() is not ("open" or "arker"))
        {
            throw ContractException.BadRequest($"field '{at}.auth' must be \"open\" or \"arker\"");
        }

        if (rule.Direction == TrafficDirection.Outbound)
        {
            if (hasAuth)
            {
                throw ContractException.BadRequest($"field '{at}.auth' belongs to inbound allow rules, not outbound ones");
            }

            return;
        }

        if (rule.Hosts.Count > 0)
        {
            throw ContractException.BadRequest($"inbound rule '{at}' cannot match 'hosts' (it matches the caller's address): use 'ips'");
        }

        if (!rule.Allows && hasAuth)
        {
            throw ContractException.BadRequest($"field '{at}.auth' belongs to inbound allow rules, not deny ones");
        }

        if (rule.Allows && (rule.Ports.Count == 0 || rule.Ports.Any(range => range.First != range.Last)))
        {
            throw ContractException.BadRequest($"inbound allow rule '{at}' must list individual ports (no ranges), the guest ports it exposes");
        }
    }

    private static bool Action(JsonElement rule, string at)
    {
        if (!rule.TryGetProperty("action", out JsonElement action) || action.ValueKind == JsonValueKind.Null)
        {
            throw ContractException.BadRequest($"field '{at}.action' is required: \"allow\" or \"deny\"");
        }

        return action.ValueKind switch
        {
            JsonValueKind.String when action.GetString() == "allow" => true,
            JsonValueKind.String when action.GetString() == "deny" => false,
            JsonValueKind.Object => throw ContractException.Unsupported($"the local Arker server has no request-level engine: '{at}.action' may only be \"allow\" or \"deny\" here, not rewrite, gate or scaling", "network_policy"),
            _ => throw ContractException.BadRequest($"field '{at}.action' must be \"allow\" or \"deny\" (got {action.GetRawText()})"),
        };
    }

    private static List<PortRange> Ports(JsonElement match, string at) =>
        [.. Items(match, "ports", at).Select((item, index) => item.ValueKind switch
        {
            JsonValueKind.Number => new PortRange(Port(item, $"{at}[{index}]"), Port(item, $"{at}[{index}]")),
            JsonValueKind.Array when item.GetArrayLength() == 2 && Port(item[0], $"{at}[{index}][0]") is int first && Port(item[1], $"{at}[{index}][1]") is int last =>
                first <= last ? new PortRange(first, last) : throw ContractException.BadRequest($"field '{at}[{index}]' is a range whose start ({first}) is after its end ({last})"),
            _ => throw ContractException.BadRequest($"field '{at}[{index}]' must be a port (1-65535) or an inclusive [start, end] range"),
        })];

    private static int Port(JsonElement item, string at) =>
        item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out int port) && port is >= 1 and <= 65535
            ? port
            : throw ContractException.BadRequest($"field '{at}' must be a port between 1 and 65535 (got {item.GetRawText()})");

    private static List<IPNetwork> Networks(JsonElement match, string at) =>
        [.. Items(match, "ips", at).Select((item, index) =>
        {
            string text = item.ValueKind == JsonValueKind.String ? item.GetString()! : "";
            return IPNetwork.TryParse(text, out IPNetwork network) ? network
                : IPAddress.TryParse(text, out IPAddress? address) ? new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
                : throw ContractException.BadRequest($"field '{at}[{index}]' must be an IP address or a CIDR such as 10.0.0.0/8 (got {item.GetRawText()})");
        })];

    private static List<string> Hosts(JsonElement match, string at) =>
        [.. Items(match, "hosts", at).Select((item, index) =>
        {
            string host = (item.ValueKind == JsonValueKind.String ? item.GetString()! : "").Trim().TrimEnd('.').ToLowerInvariant();
            return host.Length > 0 && Uri.CheckHostName(host) == UriHostNameType.Dns
                ? host
                : throw ContractException.BadRequest($"field '{at}[{index}]' must be a host name such as github.com (got {item.GetRawText()})");
        })];

    private static List<JsonElement> Items(JsonElement match, string name, string at)
    {
        if (!match.TryGetProperty(name, out JsonElement list) || list.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        return list.ValueKind == JsonValueKind.Array ? [.. list.EnumerateArray()] : throw ContractException.BadRequest($"field '{at}' must be an array");
    }

    private static string Text(JsonElement rule, string name, string at) =>
        rule.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw ContractException.BadRequest($"field '{at}.{name}' is required: \"outbound\" or \"inbound\"");

    private static void RejectUnknown(JsonElement element, string[] known, string prefix)
    {
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                throw ContractException.BadRequest($"field '{prefix}{property.Name}' is not part of a network policy; the fields are: {string.Join(", ", known)}");
            }
        }
    }
}
