namespace Arker.Testing.Local.Api.V01;

/// <summary>A failure the 0.1 API reports with its error envelope: <c>{"ok": false, "error": {"code", "message"}}</c>.</summary>
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

    /// <summary>
    /// Any failure a request of this API (or of no API: <c>/healthz</c>, presigned transfers) ended
    /// with, in the 0.1 codes. The current API's policy routes, which 0.1 clients are offered too,
    /// fail in that API's terms: their code and status are kept.
    /// </summary>
    public static ApiException From(Exception failure) => failure switch
    {
        ApiException api => api,
        LocalArkerException refused => From(refused),
        ApiFailure { Status: StatusCodes.Status400BadRequest } shared => BadRequest(shared.Message),
        ApiFailure { Status: StatusCodes.Status401Unauthorized } shared => new("unauthorized", shared.Status, shared.Message),
        ApiFailure { Status: StatusCodes.Status404NotFound } shared => NotFound(shared.Message),
        ApiFailure { Status: StatusCodes.Status413PayloadTooLarge } shared => TooLarge(shared.Message),
        ApiFailure { Status: StatusCodes.Status501NotImplemented } shared => new("not_implemented", shared.Status, shared.Message),
        ApiFailure shared => new("internal", shared.Status, shared.Message),
        V1.ContractException contract => new(contract.Code, contract.Status, contract.Message),
        _ => Internal(failure.Message),
    };

    /// <summary>Writes <paramref name="failure"/> as the 0.1 error envelope.</summary>
    public static Task WriteAsync(HttpContext context, Exception failure)
    {
        ApiException error = From(failure);
        return ApiResponses.WriteAsync(context, new ErrorEnvelope(new ErrorBody(error.Code, error.Message)), ApiJsonContext.Default.ErrorEnvelope, error.Status);
    }

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
