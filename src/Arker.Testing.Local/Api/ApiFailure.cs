namespace Arker.Testing.Local.Api;

/// <summary>
/// A failure of the parts both API generations share (reading a body, authentication, the
/// transport, an injected fault, an unknown route), in HTTP terms only: a status and a message.
/// Each generation words it in its own error envelope.
/// </summary>
internal sealed class ApiFailure(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public static ApiFailure BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);

    public static ApiFailure Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, message);

    public static ApiFailure NotFound(string message) => new(StatusCodes.Status404NotFound, message);

    public static ApiFailure TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, message);

    public static ApiFailure Internal(string message) => new(StatusCodes.Status500InternalServerError, message);

    public static ApiFailure NotImplemented(string message) => new(StatusCodes.Status501NotImplemented, message);
}
