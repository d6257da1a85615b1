using Arker.Testing.Local.Files;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V01;

/// <summary>
/// The Arker API 0.1 (the contract in <c>docs/arker-wire-protocol.md</c>, the 0.1.0 SDKs) at
/// <c>{origin}/arker-0.1</c>: fork, run, list, delete and sync, plus the current API's policy
/// routes (the 0.1 contract has none; the local server offers them to 0.1 clients too). A route
/// it does not have is <c>not_implemented</c>.
/// </summary>
internal static class V01Api
{
    public static void Map(IEndpointRouteBuilder app, VmService vms, FileReads reads, FileWrites writes, FaultInjector faults, TimeSpan defaultRunTimeout)
    {
        RouteGroupBuilder api = app.MapGroup(ApiPipeline.V01Prefix);
        new VmEndpoints(vms, defaultRunTimeout).Map(api);
        new SyncEndpoints(vms, reads, writes, faults).Map(api);
        new V1.PolicyRoutes(vms).Map(api.MapGroup("/api"), contractNames: false);
    }
}
