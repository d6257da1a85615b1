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

    /// <summary>Whether the contract calls this failure transient (worth retrying); a connection that failed before any response is too.</summary>
    public bool IsTransient => ConnectionFailed || IsTransientFailure(Status, Code, ServiceMessage);

    /// <summary>How many times the call was tried before this failure ended it (more than 1 when transient failures were retried).</summary>
    public int Attempts { get; internal set; } = 1;

    /// <inheritdoc/>
    public override string Message => Attempts > 1 ? $"{base.Message} (gave up after {Attempts} attempts)" : base.Message;

    /// <summary>No response arrived: the connection could not be made or was dropped.</summary>
    internal bool ConnectionFailed { get; init; }

    /// <summary>The contract's rule: HTTP 429/502/503/504, or <c>internal</c> with a throttling hint.</summary>
    internal static bool IsTransientFailure(int status, string? code, string? message) =>
        status is 429 or 502 or 503 or 504
        || (code == "internal" && message is not null && TransientHints.Any(h => message.Contains(h, StringComparison.Ordinal)));
}
