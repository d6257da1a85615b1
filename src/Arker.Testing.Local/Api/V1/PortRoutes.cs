using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// A local extension beside the contract: guest ports exposed to this machine, and host ports
/// offered to a VM. The service reaches
/// them through each VM's <c>hostname</c> (its network policy's inbound rules); a local server has
/// no such hostnames, so it gives each exposed port a URL on 127.0.0.1 instead
/// (<see cref="ExposedPortLink"/>). <c>POST …/ports {"port": 8080}</c>, <c>GET …/ports</c>,
/// <c>DELETE …/ports/{port}</c>. A VM reaches nothing of the host, unless a host port is offered
/// to it: <c>POST …/host-ports {"port": 5000, "guest_port": 5000}</c> (see <see cref="HostPortLink"/>),
/// <c>GET …/host-ports</c>, <c>DELETE …/host-ports/{guest_port}</c>.
/// </summary>
internal sealed class PortRoutes(VmService vms)
{
    private const long MaxJsonBodyBytes = 64 * 1024;

    public void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/vms/{id}/ports", ExposeAsync).WithName("exposePort");
        api.MapGet("/v1/vms/{id}/ports", List).WithName("listPorts");
        api.MapDelete("/v1/vms/{id}/ports/{port}", CloseAsync).WithName("closePort");
        api.MapPost("/v1/vms/{id}/host-ports", ForwardAsync).WithName("forwardHostPort");
        api.MapGet("/v1/vms/{id}/host-ports", ListForwards).WithName("listHostPorts");
        api.MapDelete("/v1/vms/{id}/host-ports/{port}", CloseForwardAsync).WithName("closeHostPort");
    }

    private async Task ForwardAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown("port", "guest_port");
        int hostPort = GuestPort(body.Integer("port") ?? throw ContractException.BadRequest("field 'port' is required: the port of this machine to offer the VM, 1-65535", "port"));
        long guest = body.Integer("guest_port") ?? hostPort;
        int guestPort = guest is >= 1024 and <= 65535 ? (int)guest
            : throw ContractException.BadRequest($"'guest_port' must be between 1024 and 65535 (the VM user cannot listen below 1024; got {guest})", "guest_port");
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        HostPortLink forward = await VmService.ForwardHostPortAsync(vm, hostPort, guestPort, context.RequestAborted);
        await ApiResponses.WriteAsync(context, View(forward), CurrentJsonContext.Default.HostPortBody);
    }

    private Task ListForwards(HttpContext context, string id)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        return ApiResponses.WriteAsync(context, new HostPortListBody([.. VmService.HostPorts(vm).Select(View)]), CurrentJsonContext.Default.HostPortListBody);
    }

    private async Task CloseForwardAsync(HttpContext context, string id, string port)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        int guestPort = PortInPath(port);
        if (!await VmService.CloseHostPortAsync(vm, guestPort))
        {
            throw ContractException.NotFound($"no host port is offered at this VM's port {guestPort}", "port");
        }

        await ApiResponses.WriteAsync(context, new ClosedPortBody(guestPort, Closed: true), CurrentJsonContext.Default.ClosedPortBody);
    }

    private async Task ExposeAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown("port");
        long port = body.Integer("port") ?? throw ContractException.BadRequest("field 'port' is required: the guest port to expose, 1-65535", "port");
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        ExposedPortLink exposed = await VmService.ExposePortAsync(vm, GuestPort(port), context.RequestAborted);
        await ApiResponses.WriteAsync(context, View(exposed), CurrentJsonContext.Default.ExposedPortBody);
    }

    private Task List(HttpContext context, string id)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        return ApiResponses.WriteAsync(context, new ExposedPortListBody([.. VmService.ExposedPorts(vm).Select(View)]), CurrentJsonContext.Default.ExposedPortListBody);
    }

    private async Task CloseAsync(HttpContext context, string id, string port)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        int guestPort = PortInPath(port);
        if (!await VmService.CloseExposedPortAsync(vm, guestPort))
        {
            throw ContractException.NotFound($"guest port {guestPort} of this VM is not exposed", "port");
        }

        await ApiResponses.WriteAsync(context, new ClosedPortBody(guestPort, Closed: true), CurrentJsonContext.Default.ClosedPortBody);
    }

    private static int PortInPath(string port) =>
        long.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long number)
            ? GuestPort(number)
            : throw ContractException.BadRequest($"'{port}' is not a port number", "port");

    private static int GuestPort(long port) =>
        port is >= 1 and <= 65535 ? (int)port : throw ContractException.BadRequest($"'port' must be between 1 and 65535 (got {port})", "port");

    private static ExposedPortBody View(ExposedPortLink port) => new(port.GuestPort, port.Url.ToString());

    private static HostPortBody View(HostPortLink forward) => new(forward.HostPort, forward.GuestPort, forward.GuestUrl.ToString());
}
