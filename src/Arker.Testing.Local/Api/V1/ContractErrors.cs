using System.Globalization;
using System.Text.Json.Nodes;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// Writes the current API's error envelope: <c>{"error": {...}}</c> as its single key, with the
/// code, a message, the time, a request id to report, and which operation the request matched.
/// </summary>
internal static class ContractErrors
{
    public static Task WriteAsync(HttpContext context, ContractException error, TimeProvider time)
    {
        var body = new JsonObject
        {
            ["code"] = error.Code,
            ["message"] = string.IsNullOrWhiteSpace(error.Message) ? error.Code : error.Message,
            ["timestamp"] = ApiResponses.Timestamp(time.GetUtcNow()),
            ["request_id"] = context.TraceIdentifier,
            ["request"] = RequestContext(context),
        };
        if (error.Details is { } details)
        {
            body["details"] = details.DeepClone();
        }

        HttpResponse response = context.Response;
        if (error.RetryAfterSeconds is { } seconds)
        {
            body["retry_after_seconds"] = seconds;
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (error.Status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"arker\"";
        }

        if (error.AllowedMethods is { } allowed)
        {
            response.Headers.Allow = string.Join(", ", allowed);
        }

        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        return response.WriteAsync(new JsonObject { ["error"] = body }.ToJsonString(), context.RequestAborted);
    }

    /// <summary><c>matched</c> with the operation id when a route of the contract matched; else <c>unmatched</c> with the method.</summary>
    private static JsonObject RequestContext(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName is { } operation
            ? new JsonObject { ["kind"] = "matched", ["operation_id"] = operation }
            : new JsonObject { ["kind"] = "unmatched", ["method"] = context.Request.Method };
}
