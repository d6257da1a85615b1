using System.Diagnostics;
using Arker.Testing.Local.Api.V01;
using Arker.Testing.Local.Api.V1;

namespace Arker.Testing.Local.Api;

/// <summary>
/// What every request goes through: one log line (method, route, status, duration; never a key,
/// a query string or file contents), the error envelope for every failure, fault injection, and
/// API-key authentication for the API routes. The current API lives at <c>{origin}/api</c>, the
/// 0.1 API at <c>{origin}/arker-0.1</c>; each answers failures in its own envelope.
/// </summary>
internal sealed class ApiPipeline
{
    /// <summary>The base path of the Arker API 0.1: <c>{origin}/arker-0.1</c> is what its clients take as their base URL.</summary>
    public const string V01Prefix = "/arker-0.1";

    /// <summary>The base path of the current Arker API: <c>{origin}/api</c>, as the service has it.</summary>
    public const string V1Prefix = "/api";

    /// <summary>The V1 routes that need no API key.</summary>
    private static readonly string[] PublicV1Routes = ["/api/v1/health", "/api/v1/regions"];

    private readonly ILogger _logger;
    private readonly FaultInjector _faults;
    private readonly ApiKeyAuthenticator _authenticator;
    private readonly TimeProvider _time;

    public ApiPipeline(ILogger logger, FaultInjector faults, ApiKeyAuthenticator authenticator, TimeProvider time)
    {
        _logger = logger;
        _faults = faults;
        _authenticator = authenticator;
        _time = time;
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
            ApiGeneration generation = GenerationOf(context.Request.Path);
            bool presigned = path.StartsWith("/presigned/", StringComparison.Ordinal);
            if (_faults.Enabled && (generation != ApiGeneration.None || presigned)
                && await _faults.TryFailAsync(context, presigned, (status, message) => WriteErrorIfPossibleAsync(context, generation, InjectedFault(status, message))))
            {
                return;
            }

            if (generation == ApiGeneration.V01 || (generation == ApiGeneration.V1 && !PublicV1Routes.Contains(path)))
            {
                context.SetOrganisation(_authenticator.Authenticate(context.Request));
            }

            await next(context);
        }
        catch (Exception ex) when (ex is ContractException or ApiException or ApiFailure or LocalArkerException)
        {
            await WriteErrorIfPossibleAsync(context, GenerationOf(context.Request.Path), ex);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteErrorIfPossibleAsync(context, GenerationOf(context.Request.Path), ApiFailure.TooLarge("request body is too large: send files through presigned uploads (up to 100 MiB)"));
        }
        catch (BadHttpRequestException ex)
        {
            await WriteErrorIfPossibleAsync(context, GenerationOf(context.Request.Path), new ApiFailure(ex.StatusCode, ex.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Unhandled failure on {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteErrorIfPossibleAsync(context, GenerationOf(context.Request.Path), ApiFailure.Internal($"internal error: {ex.Message}"));
        }
    }

    /// <summary>Which API a path belongs to: the current one below <c>/api</c>, 0.1 below <c>/arker-0.1/api</c>, or neither.</summary>
    public static ApiGeneration GenerationOf(PathString path) =>
        path.StartsWithSegments(V1Prefix, StringComparison.Ordinal) ? ApiGeneration.V1
        : path.StartsWithSegments(V01Prefix, StringComparison.Ordinal, out PathString rest) && rest.StartsWithSegments("/api", StringComparison.Ordinal) ? ApiGeneration.V01
        : ApiGeneration.None;

    /// <summary>An injected fault; each generation words it in its own codes.</summary>
    private static ApiFailure InjectedFault(int status, string message) => new(status, message);

    private Task WriteErrorIfPossibleAsync(HttpContext context, ApiGeneration generation, Exception failure)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.Clear();
        return generation == ApiGeneration.V1
            ? ContractErrors.WriteAsync(context, ContractException.From(failure), _time)
            : ApiException.WriteAsync(context, failure);
    }
}
