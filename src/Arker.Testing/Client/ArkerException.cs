namespace Arker.Testing.Client;

/// <summary>
/// Every failure of an Arker call: the wire error code (<c>not_found</c>, <c>vm_busy</c>, …), the
/// HTTP status it came with, and the service's message.
/// </summary>
public sealed class ArkerException : Exception
{
    private static readonly string[] TransientHints = ["503", "Service Unavailable", "throttle", "SlowDown", "ThrottlingException"];

    /// <summary>An <c>internal</c> error with no details.</summary>
    public ArkerException()
        : this("internal", "unknown error", 0)
    {
    }

    /// <summary>An <c>internal</c> error with a message.</summary>
    public ArkerException(string message)
        : this("internal", message, 0)
    {
    }

    /// <summary>An <c>internal</c> error with a message and its cause.</summary>
    public ArkerException(string message, Exception innerException)
        : this("internal", message, 0, innerException)
    {
    }

    /// <summary>An error with the wire code, the service's message and the HTTP status.</summary>
    public ArkerException(string code, string message, int status, Exception? innerException = null)
        : base($"{code}: {message}", innerException)
    {
        Code = code;
        Status = status;
        ServiceMessage = message;
    }

    /// <summary>The stable error code of the wire contract, such as <c>not_found</c>.</summary>
    public string Code { get; }

    /// <summary>The HTTP status the error came with (0 when no response arrived).</summary>
    public int Status { get; }

    /// <summary>The service's message, without the code.</summary>
    public string ServiceMessage { get; }

    /// <summary>The service's id for the failed request (current API): give it when you report a problem.</summary>
    public string? RequestId { get; init; }

    /// <summary>How long the service asked the client to wait before trying again, when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// What became of work the failed request started (current API): <c>not_started</c>,
    /// <c>stopped</c>, <c>continuing</c> or <c>unknown</c>; <see langword="null"/> when it started none.
    /// </summary>
    public string? RecoveryWork { get; init; }

    /// <summary>
    /// Whether the contract calls this failure transient (worth retrying); a connection that failed
    /// before any response is too. A failure whose work started is never transient.
    /// </summary>
    public bool IsTransient => ConnectionFailed || (RecoveryWork is null or "not_started" && IsTransientFailure(Status, Code, ServiceMessage));

    /// <summary>How many times the call was tried before this failure ended it (more than 1 when transient failures were retried).</summary>
    public int Attempts { get; internal set; } = 1;

    /// <inheritdoc/>
    public override string Message =>
        base.Message
        + (RequestId is null ? "" : $" (request {RequestId})")
        + (Attempts > 1 ? $" (gave up after {Attempts} attempts)" : "");

    /// <summary>No response arrived: the connection could not be made or was dropped.</summary>
    internal bool ConnectionFailed { get; init; }

    /// <summary>
    /// The HTTP status the current API's <paramref name="code"/> always has (the contract documents
    /// one per code), for a failure reported inside a successful response, such as one file of a
    /// sync; <paramref name="otherwise"/> for a code the contract does not name.
    /// </summary>
    internal static int StatusOf(string code, int otherwise) => code switch
    {
        "bad_request" or "insufficient_resources" => 400,
        "unauthorized" => 401,
        "payment_required" => 402,
        "forbidden" or "action_required" => 403,
        "not_found" => 404,
        "method_not_allowed" => 405,
        "conflict" or "resource_busy" or "invalid_state" or "already_exists" or "idempotency_conflict" => 409,
        "expired" => 410,
        "payload_too_large" => 413,
        "unsupported_operation" or "unrecoverable" or "operation_failed" => 422,
        "rate_limited" or "quota_exceeded" => 429,
        "internal" => 500,
        "unavailable" or "capacity_unavailable" => 503,
        "gateway_timeout" => 504,
        _ => otherwise,
    };

    /// <summary>
    /// The contracts' rule: HTTP 429/502/503/504; the current API's <c>rate_limited</c>,
    /// <c>unavailable</c>, <c>capacity_unavailable</c>, <c>resource_busy</c> and <c>gateway_timeout</c>;
    /// 0.1's <c>internal</c> with a throttling hint.
    /// </summary>
    internal static bool IsTransientFailure(int status, string? code, string? message) =>
        status is 429 or 502 or 503 or 504
        || code is "rate_limited" or "unavailable" or "capacity_unavailable" or "resource_busy" or "gateway_timeout"
        || (code == "internal" && message is not null && TransientHints.Any(h => message.Contains(h, StringComparison.Ordinal)));
}
