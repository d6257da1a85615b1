using Arker.Testing.Local.Files;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// The current Arker API (the contract in <c>docs/contracts/arker-openapi.json</c>) at
/// <c>{origin}/api</c>: every operation of the contract, served or refused with
/// <c>unsupported_operation</c>; an unknown route is <c>not_found</c>, a known route with another
/// method <c>method_not_allowed</c>.
/// </summary>
internal static class V1Api
{
    public static void Map(IEndpointRouteBuilder app, VmService vms, FileReads reads, FileWrites writes, FaultInjector faults, TimeSpan defaultRunTimeout, TimeProvider time)
    {
        RouteGroupBuilder api = app.MapGroup(ApiPipeline.V1Prefix);
        var idempotency = new IdempotencyKeys(time);
        new VmRoutes(vms, idempotency, time).Map(api);
        new RunRoutes(vms, idempotency, defaultRunTimeout).Map(api);
        new SessionRoutes(vms, time).Map(api);
        new SyncRoutes(vms, reads, writes, faults).Map(api);
        new PortRoutes(vms).Map(api);
        new PolicyRoutes(vms).Map(api);
        new CacheRoutes(vms).Map(api);
        UnsupportedRoutes.Map(api);
        api.MapFallback("{**path}", (HttpContext context) => Task.FromException(Unmatched(context)));
    }

    /// <summary><c>method_not_allowed</c> (with the methods allowed) when another method has this route; else <c>not_found</c>.</summary>
    private static ContractException Unmatched(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        string[] allowed = [.. context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IEndpointNameMetadata>() is not null && Matches(e.RoutePattern, path))
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct()
            .Order(StringComparer.Ordinal)];
        return allowed.Length > 0
            ? ContractException.MethodNotAllowed($"{context.Request.Method} is not allowed on {path}: use {string.Join(" or ", allowed)}", allowed)
            : ContractException.NotFound($"no such route in the Arker API: {context.Request.Method} {path}", "route");
    }

    private static bool Matches(RoutePattern pattern, string path) =>
        new TemplateMatcher(new RouteTemplate(pattern), new RouteValueDictionary()).TryMatch(path, new RouteValueDictionary());
}
