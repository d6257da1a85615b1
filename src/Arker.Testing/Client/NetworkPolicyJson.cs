using System.Buffers;
using System.Text.Json;

namespace Arker.Testing.Client;

/// <summary>A <see cref="NetworkPolicy"/> as the Arker API's policy document (<c>PolicyWriteRequest</c>, <c>PolicyDoc</c>).</summary>
internal static class NetworkPolicyJson
{
    public static byte[] Write(NetworkPolicy policy)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("policies");
            foreach (NetworkRule rule in policy.Rules)
            {
                json.WriteStartObject();
                json.WriteString("type", rule.Direction == NetworkDirection.Outbound ? "outbound" : "inbound");
                if (rule.Ports.Count + rule.Ips.Count + rule.Hosts.Count > 0)
                {
                    json.WriteStartObject("match");
                    WritePorts(json, rule.Ports);
                    WriteStrings(json, "ips", rule.Ips);
                    WriteStrings(json, "hosts", rule.Hosts);
                    json.WriteEndObject();
                }

                json.WriteString("action", rule.Allow ? "allow" : "deny");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The policy of a document's <c>policies</c> array; rules this client cannot represent (request-level ones of the service) are an error.</summary>
    public static NetworkPolicy Read(JsonElement policies) => new(policies.EnumerateArray().Select(Rule));

    private static NetworkRule Rule(JsonElement rule)
    {
        JsonElement action = rule.GetProperty("action");
        if (action.ValueKind != JsonValueKind.String)
        {
            throw new NotSupportedException($"this VM's policy has a request-level action ({action.GetRawText()}), which this client does not represent");
        }

        JsonElement match = rule.TryGetProperty("match", out JsonElement given) ? given : default;
        return new NetworkRule
        {
            Direction = rule.GetProperty("type").GetString() == "inbound" ? NetworkDirection.Inbound : NetworkDirection.Outbound,
            Allow = action.GetString() == "allow",
            Ports = match.ValueKind == JsonValueKind.Object && match.TryGetProperty("ports", out JsonElement ports)
                ? [.. ports.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Array ? new NetworkPortRange(p[0].GetInt32(), p[1].GetInt32()) : new NetworkPortRange(p.GetInt32(), p.GetInt32()))]
                : [],
            Ips = Strings(match, "ips"),
            Hosts = Strings(match, "hosts"),
        };
    }

    private static string[] Strings(JsonElement match, string name) =>
        match.ValueKind == JsonValueKind.Object && match.TryGetProperty(name, out JsonElement list) ? [.. list.EnumerateArray().Select(item => item.GetString()!)] : [];

    private static void WritePorts(Utf8JsonWriter json, IReadOnlyList<NetworkPortRange> ports)
    {
        if (ports.Count == 0)
        {
            return;
        }

        json.WriteStartArray("ports");
        foreach (NetworkPortRange range in ports)
        {
            if (range.First == range.Last)
            {
                json.WriteNumberValue(range.First);
            }
            else
            {
                json.WriteStartArray();
                json.WriteNumberValue(range.First);
                json.WriteNumberValue(range.Last);
                json.WriteEndArray();
            }
        }

        json.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        if (values.Count > 0)
        {
            json.WriteStartArray(name);
            foreach (string value in values)
            {
                json.WriteStringValue(value);
            }

            json.WriteEndArray();
        }
    }
}
