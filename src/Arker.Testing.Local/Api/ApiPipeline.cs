using System.Diagnostics;

namespace Arker.Testing.Local.Api;

/// <summary>
/// What every request goes through: one log line (method, route, status, duration; never a key,
/// a query string or file contents), the error envelope for every failure, fault injection, and
/// API-key authentication for the API routes.
/// </summary>
internal sealed class ApiPipeline
{
    /// <summary>The base path of the Arker API 0.1: <c>{origin}/arker-0.1</c> is what its clients take as their base URL.</summary>
    public const string V01Prefix = "/arker-0.1";

    private readonly ILogger _logger;
    private readonly FaultInjector _faults;
    private readonly ApiKeyAuthenticator _authenticator;

    public ApiPipeline(ILogger logger, FaultInjector faults, ApiKeyAuthenticator authenticator)
    {
        _logger = logger;
        _faults = faults;
        _authenticator = authenticator;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await HandleAsync(context, next);
        }
        finally
        {
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "";
            _logger.LogInformation("{Method} {Route} {Status} {Duration:0.0} ms", context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            string path = context.Request.Path.Value ?? "";
            bool api = IsApi(context.Request.Path);
            bool presigned = path.StartsWith("/presigned/", StringComparison.Ordinal);
            if (_faults.Enabled && (api || presigned) && await _faults.TryFailAsync(context, presigned))
            {
                return;
            }

            if (api)
            {
                context.SetOrganisation(_authenticator.Authenticate(context.Request));
            }

            await next(context);
        }
        catch (ApiException ex)
        {
            await WriteErrorIfPossibleAsync(context, ex.Code, ex.Status, ex.Message);
        }
        catch (LocalArkerException refused)
        {
            ApiException ex = ApiException.From(refused);
            await WriteErrorIfPossibleAsync(context, ex.Code, ex.Status, ex.Message);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteErrorIfPossibleAsync(context, "payload_too_large", 413, "request body is too large: send files through presigned uploads (up to 100 MiB)");
        }
        catch (BadHttpRequestException ex)
        {
            await WriteErrorIfPossibleAsync(context, "bad_request", ex.StatusCode, ex.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Unhandled failure on {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteErrorIfPossibleAsync(context, "internal", 500, $"internal error: {ex.Message}");
        }
    }

    /// <summary>Whether <paramref name="path"/> is an API route (authenticated, answered with the envelope), at the origin or below the 0.1 base.</summary>
    public static bool IsApi(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.Ordinal)
        || (path.StartsWithSegments(V01Prefix, StringComparison.Ordinal, out PathString rest) && rest.StartsWithSegments("/api", StringComparison.Ordinal));

    private static Task WriteErrorIfPossibleAsync(HttpContext context, string code, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        return ApiResponses.WriteErrorAsync(context, code, status, message);
    }
}
