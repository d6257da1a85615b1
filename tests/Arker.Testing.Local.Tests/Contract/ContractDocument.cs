using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Arker.Testing.Local.Tests.Contract;

/// <summary>
/// The current Arker API's OpenAPI document (docs/contracts/arker-openapi.json) as JSON Schema
/// 2020-12 validators, one per declared response: a response is checked against exactly the schema
/// the contract gives its operation and status.
/// </summary>
public static class ContractDocument
{
    private static readonly JsonObject Document = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Contract", "arker-openapi.json")))!;
    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    /// <summary>Every operation id the contract declares.</summary>
    public static IReadOnlyList<string> OperationIds =>
        [.. Paths.SelectMany(p => p.Value!.AsObject()).Where(m => m.Key != "parameters").Select(m => (string)m.Value!["operationId"]!)];

    private static JsonObject Paths => Document["paths"]!.AsObject();

    /// <summary>
    /// Problems of <paramref name="body"/> as the response <paramref name="status"/> of
    /// <paramref name="method"/> <paramref name="pathTemplate"/> (such as <c>/v1/vms/{id}</c>);
    /// empty when it conforms. A status the operation does not declare is a problem too.
    /// </summary>
    public static IReadOnlyList<string> Check(string method, string pathTemplate, int status, string body)
    {
        JsonObject? operation = Paths[pathTemplate]?[method.ToLowerInvariant()]?.AsObject();
        if (operation is null)
        {
            // A method the route does not have: the contract's method_not_allowed.
            return status == 405 ? Validate("#/components/schemas/MethodNotAllowedErrorResponse", body) : [$"the contract has no {method} {pathTemplate}"];
        }

        string statusText = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        JsonNode? response = operation["responses"]?[statusText];
        if (response is null)
        {
            // Any operation may answer unsupported_operation (the contract's info says so), declared or not.
            return status == 422 ? Validate("#/components/schemas/UnsupportedOperationErrorResponse", body)
                : [$"{method} {pathTemplate} does not declare HTTP {status}"];
        }

        if (response["$ref"] is { } reference)
        {
            response = Resolve((string)reference!);
        }

        JsonNode? schema = response!["content"]?["application/json"]?["schema"];
        return schema is null ? [] : Validate(schema.ToJsonString(), body, inline: true);
    }

    private static IReadOnlyList<string> Validate(string schemaOrRef, string body, bool inline = false)
    {
        JsonSchema schema = Schemas.GetOrAdd(schemaOrRef, key => Build(inline ? key : $$"""{"$ref": "{{key}}"}"""));
        using JsonDocument instance = JsonDocument.Parse(body);
        EvaluationResults results = schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid
            ? []
            : [.. (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value} ({d.EvaluationPath})")).Take(20)];
    }

    /// <summary>A schema with the document's component schemas beside it (as <c>$defs</c>), so its references resolve.</summary>
    private static JsonSchema Build(string schema)
    {
        string components = Document["components"]!["schemas"]!.ToJsonString();
        string text = $$"""{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {{components}}, "allOf": [{{schema}}]}""";
        return JsonSchema.FromText(text.Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal));
    }

    private static JsonNode Resolve(string reference)
    {
        JsonNode node = Document;
        foreach (string part in reference.TrimStart('#', '/').Split('/'))
        {
            node = node[part]!;
        }

        return node;
    }
}
