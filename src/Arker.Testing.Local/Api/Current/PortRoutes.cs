using Arker.Testing.Local.Sandbox;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.Current;

/// <summary>
/// A local extension beside the contract: guest ports exposed to this machine. The service reaches
/// them through each VM's <c>hostname</c> (its network policy's inbound rules); a local server has
/// no such hostnames, so it gives each exposed port a URL on 127.0.0.1 instead
/// (<see cref="ExposedPort"/>). <c>POST …/ports {"port": 8080}</c>, <c>GET …/ports</c>,
/// <c>DELETE …/ports/{port}</c>.
/// </summary>
internal sealed class PortRoutes(VmService vms)
{
    private const long MaxJsonBodyBytes = 64 * 1024;

    public void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/vms/{id}/ports", ExposeAsync).WithName("exposePort");
        api.MapGet("/v1/vms/{id}/ports", List).WithName("listPorts");
        api.MapDelete("/v1/vms/{id}/ports/{port}", CloseAsync).WithName("closePort");
    }

    private async Task ExposeAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown("port");
        long port = body.Integer("port") ?? throw ContractException.BadRequest("field 'port' is required: the guest port to expose, 1-65535", "port");
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        ExposedPort exposed = await vm.Sandbox.ExposePortAsync(GuestPort(port), context.RequestAborted);
        await ApiResponses.WriteAsync(context, View(exposed), CurrentJsonContext.Default.ExposedPortBody);
    }

    private Task List(HttpContext context, string id)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        return ApiResponses.WriteAsync(context, new ExposedPortListBody([.. vm.Sandbox.ExposedPorts.Select(View)]), CurrentJsonContext.Default.ExposedPortListBody);
    }

    private async Task CloseAsync(HttpContext context, string id, string port)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        int guestPort = long.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long number)
            ? GuestPort(number)
            : throw ContractException.BadRequest($"'{port}' is not a port number", "port");
        if (!await vm.Sandbox.ClosePortAsync(guestPort))
        {
            throw ContractException.NotFound($"guest port {guestPort} of this VM is not exposed", "port");
        }

        await ApiResponses.WriteAsync(context, new ClosedPortBody(guestPort, Closed: true), CurrentJsonContext.Default.ClosedPortBody);
    }

    private static int GuestPort(long port) =>
        port is >= 1 and <= 65535 ? (int)port : throw ContractException.BadRequest($"'port' must be between 1 and 65535 (got {port})", "port");

    private static ExposedPortBody View(ExposedPort port) => new(port.GuestPort, port.Url.ToString());
}
