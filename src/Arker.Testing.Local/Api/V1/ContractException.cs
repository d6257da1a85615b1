using System.Text.Json.Nodes;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// A failure the current API reports with its error envelope: one of the contract's stable codes,
/// the HTTP status that code always has, and the details the code requires.
/// </summary>
internal sealed class ContractException : Exception
{
    private ContractException(string code, int status, string message, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Status = status;
        Details = details;
    }

    public string Code { get; }

    public int Status { get; }

    /// <summary>The code's <c>details</c> object, when it has one.</summary>
    public JsonObject? Details { get; }

    /// <summary>Seconds to wait before retrying, sent as <c>retry_after_seconds</c> and <c>Retry-After</c>.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>The methods the route allows, for <c>method_not_allowed</c> (also the <c>Allow</c> header).</summary>
    public IReadOnlyList<string>? AllowedMethods { get; init; }

    public static ContractException BadRequest(string message, string? field = null) =>
        new("bad_request", 400, message, field is null ? null : new JsonObject
        {
            ["violations"] = new JsonArray(new JsonObject { ["field"] = field, ["message"] = message }),
        });

    public static ContractException Unauthorized(string message) => new("unauthorized", 401, message);

    public static ContractException Forbidden(string message) => new("forbidden", 403, message);

    public static ContractException NotFound(string message, string resource) => new("not_found", 404, message, Resource(resource));

    public static ContractException Conflict(string message, string resource) => new("conflict", 409, message, Resource(resource));

    public static ContractException ResourceBusy(string message, string resource) => new("resource_busy", 409, message, Resource(resource)) { RetryAfterSeconds = 1 };

    public static ContractException IdempotencyConflict(string message) => new("idempotency_conflict", 409, message);

    public static ContractException PayloadTooLarge(string message, long maximumBytes) =>
        new("payload_too_large", 413, message, new JsonObject { ["maximum_bytes"] = maximumBytes });

    public static ContractException MethodNotAllowed(string message, IReadOnlyList<string> allowed) =>
        new("method_not_allowed", 405, message, new JsonObject { ["allowed_methods"] = new JsonArray([.. allowed.Select(m => (JsonNode)m)]) }) { AllowedMethods = allowed };

    /// <summary>What a local machine cannot do; <paramref name="feature"/> is one of the contract's features, when one fits.</summary>
    public static ContractException Unsupported(string message, string? feature = null)
    {
        var details = new JsonObject { ["reason"] = "feature_not_supported" };
        if (feature is not null)
        {
            details["feature"] = feature;
        }

        return new("unsupported_operation", 422, message, details);
    }

    public static ContractException RateLimited(string message) =>
        new("rate_limited", 429, message, new JsonObject { ["limiter"] = "arker" }) { RetryAfterSeconds = 0 };

    public static ContractException Unavailable(string message, int retryAfterSeconds = 0) =>
        new("unavailable", 503, message) { RetryAfterSeconds = retryAfterSeconds };

    public static ContractException GatewayTimeout(string message) => new("gateway_timeout", 504, message);

    public static ContractException Internal(string message) => new("internal", 500, message);

    /// <summary>What the VMs, files or sandboxes refused, in the current contract's terms.</summary>
    public static ContractException From(LocalArkerException refused) => refused.Error switch
    {
        LocalArkerError.InvalidInput => BadRequest(refused.Message),
        LocalArkerError.NotFound => NotFound(refused.Message, refused.Resource),
        LocalArkerError.Forbidden => Forbidden(refused.Message),
        LocalArkerError.VmBusy => ResourceBusy(refused.Message, refused.Resource),
        LocalArkerError.Conflict => Conflict(refused.Message, refused.Resource),
        LocalArkerError.TooLarge => PayloadTooLarge(refused.Message, Files.FileWrites.MaxFileBytes),
        _ => Internal(refused.Message),
    };

    /// <summary>A failure of the parts both generations share (body parsing, authentication, transport, injected faults), in this API's codes.</summary>
    public static ContractException From(ApiFailure failure) => failure.Status switch
    {
        StatusCodes.Status400BadRequest => BadRequest(failure.Message),
        StatusCodes.Status401Unauthorized => Unauthorized(failure.Message),
        StatusCodes.Status404NotFound => NotFound(failure.Message, "resource"),
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge(failure.Message, Files.FileWrites.MaxFileBytes),
        StatusCodes.Status429TooManyRequests => RateLimited(failure.Message),
        StatusCodes.Status503ServiceUnavailable => Unavailable(failure.Message),
        StatusCodes.Status502BadGateway or StatusCodes.Status504GatewayTimeout => GatewayTimeout(failure.Message),
        StatusCodes.Status500InternalServerError when failure.Message.Contains("SlowDown", StringComparison.Ordinal) => Unavailable(failure.Message),
        _ => Internal(failure.Message),
    };

    /// <summary>Any failure a request of this API ended with, in this API's codes.</summary>
    public static ContractException From(Exception failure) => failure switch
    {
        ContractException contract => contract,
        LocalArkerException refused => From(refused),
        ApiFailure shared => From(shared),
        _ => Internal(failure.Message),
    };

    private static JsonObject Resource(string kind) => new() { ["resource"] = kind };
}
