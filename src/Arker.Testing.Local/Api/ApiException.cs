namespace Arker.Testing.Local.Api;

/// <summary>A failure the API reports with the contract's error envelope.</summary>
internal sealed class ApiException : Exception
{
    public ApiException(string code, int status, string message)
        : base(message)
    {
        Code = code;
        Status = status;
    }

    public string Code { get; }

    public int Status { get; }

    public static ApiException BadRequest(string message) => new("bad_request", 400, message);

    public static ApiException NotFound(string message) => new("not_found", 404, message);

    public static ApiException Forbidden(string message) => new("forbidden", 403, message);

    public static ApiException VmBusy(string message) => new("vm_busy", 409, message);

    public static ApiException Conflict(string message) => new("conflict", 409, message);

    public static ApiException TooLarge(string message) => new("payload_too_large", 413, message);

    public static ApiException Internal(string message) => new("internal", 500, message);

    /// <summary>The 0.1 envelope's code and status for what the VMs, files or sandboxes refused.</summary>
    public static ApiException From(LocalArkerException refused) => refused.Error switch
    {
        LocalArkerError.InvalidInput => BadRequest(refused.Message),
        LocalArkerError.NotFound => NotFound(refused.Message),
        LocalArkerError.Forbidden => Forbidden(refused.Message),
        LocalArkerError.VmBusy => VmBusy(refused.Message),
        LocalArkerError.Conflict => Conflict(refused.Message),
        LocalArkerError.TooLarge => TooLarge(refused.Message),
        _ => Internal(refused.Message),
    };
}
