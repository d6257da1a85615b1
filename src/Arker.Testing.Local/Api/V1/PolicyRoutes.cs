using System.Text.Json;
using Arker.Testing.Local.Network;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// A VM's network policy (<c>GET</c>/<c>PUT /v1/vms/{id}/policies</c>): ordered outbound and
/// inbound rules by port, IP and host, the first match deciding, enforced by the VM's gateway
/// (<see cref="OutboundGateway"/>) from the next connection on. Inbound rules decide which guest
/// ports may be exposed (<see cref="PortRoutes"/>); exposed ports a new policy closes are closed.
/// The 0.1 API has no policies; the local server serves the same routes below its 0.1 base too
/// (<c>/arker-0.1/api/v1/vms/{id}/policies</c>), so a 0.1 client can set them here.
/// </summary>
internal sealed class PolicyRoutes(VmService vms)
{
    private const long MaxJsonBodyBytes = 256 * 1024;

    /// <summary>Maps the routes; the current API's carry the contract's operation names.</summary>
    public void Map(IEndpointRouteBuilder api, bool contractNames = true)
    {
        RouteHandlerBuilder get = api.MapGet("/v1/vms/{id}/policies", Get);
        RouteHandlerBuilder put = api.MapPut("/v1/vms/{id}/policies", PutAsync);
        if (contractNames)
        {
            get.WithName("getVmPolicies");
            put.WithName("putVmPolicies");
        }
    }

    private Task Get(HttpContext context, string id)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        return WriteAsync(context, VmService.PolicyOf(vm));
    }

    private async Task PutAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        using JsonDocument document = JsonDocument.Parse(body.RawText);
        NetworkPolicy policy = PolicyDocuments.Read(document.RootElement);
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        await VmService.ApplyPolicyAsync(vm, policy);
        await WriteAsync(context, policy);
    }

    private Task WriteAsync(HttpContext context, NetworkPolicy policy)
    {
        using JsonDocument rules = JsonDocument.Parse(policy.RulesJson);
        var body = new PolicyDocBody(rules.RootElement.Clone(), new Dictionary<string, string>(), [], vms.NetworkWarnings);
        return ApiResponses.WriteAsync(context, body, CurrentJsonContext.Default.PolicyDocBody);
    }
}
