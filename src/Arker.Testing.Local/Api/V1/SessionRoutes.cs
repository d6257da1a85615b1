using System.Text.RegularExpressions;
using Arker.Testing.Local.Vms;
using Arker.Testing.Shared;

namespace Arker.Testing.Local.Api.V1;

/// <summary>Sessions: persistent shells of a VM, each with its own working directory and environment, one run at a time.</summary>
internal sealed partial class SessionRoutes(VmService vms, TimeProvider time)
{
    private const long MaxJsonBodyBytes = 1024 * 1024;
    private static readonly string[] CreateFields = ["env", "cwd", "pty", "cols", "rows", "command"];
    private static readonly string[] PatchFields = ["cols", "rows", "timeout_secs"];

    public void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/vms/{id}/sessions", List).WithName("listSessions");
        api.MapPost("/v1/vms/{id}/sessions", CreateAsync).WithName("createSession");
        api.MapGet("/v1/vms/{id}/sessions/{sid}", Get).WithName("getSession");
        api.MapPatch("/v1/vms/{id}/sessions/{sid}", PatchAsync).WithName("patchSession");
        api.MapDelete("/v1/vms/{id}/sessions/{sid}", DeleteAsync).WithName("deleteSession");
    }

    private Task List(HttpContext context, string id)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        string? state = VmRoutes.Query(context.Request.Query, "state");
        if (state is not (null or "idle" or "running"))
        {
            throw ContractException.BadRequest($"query parameter 'state' must be idle or running (got '{state}')", "state");
        }

        IEnumerable<SessionBody> sessions = VmService.Sessions(vm).Select(s => Views.Session(vm, s)).Where(s => state is null || s.State == state);
        (SessionBody[] page, string? next) = VmRoutes.Page(sessions, context.Request.Query);
        return ApiResponses.WriteAsync(context, new SessionListBody(page, next), CurrentJsonContext.Default.SessionListBody);
    }

    private async Task CreateAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown(CreateFields);
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        if (body.Boolean("pty", defaultValue: false) || body.Has("command"))
        {
            throw ContractException.Unsupported("the local Arker server has no interactive terminals: create the session without 'pty' and 'command', and run commands in it", "persistent_pty");
        }

        string cwd = body.String("cwd") ?? "/home/user";
        if (!cwd.StartsWith('/') || cwd.Contains('\0', StringComparison.Ordinal))
        {
            throw ContractException.BadRequest($"field 'cwd' must be an absolute path in the VM (got '{cwd}')", "cwd");
        }

        IReadOnlyDictionary<string, string>? env = body.StringMap("env");
        foreach (string name in env?.Keys ?? [])
        {
            if (!VariableName().IsMatch(name))
            {
                throw ContractException.BadRequest($"'{name}' is not an environment variable name: use letters, digits and '_', not starting with a digit", "env");
            }
        }

        string sessionId = "ses_" + Ulid.New(time.GetUtcNow()).ToLowerInvariant();
        VmSessionState session = VmService.CreateSession(vm, sessionId, cwd, env);
        await ApiResponses.WriteAsync(context, Views.Session(vm, session), CurrentJsonContext.Default.SessionBody);
    }

    private Task Get(HttpContext context, string id, string sid)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        return VmService.Session(vm, sid) is { } session
            ? ApiResponses.WriteAsync(context, Views.Session(vm, session), CurrentJsonContext.Default.SessionBody)
            : throw ContractException.NotFound($"session not found: {sid}", "session");
    }

    /// <summary>Terminal size and idle time belong to interactive terminals, which the local server does not have.</summary>
    private async Task PatchAsync(HttpContext context, string id, string sid)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown(PatchFields);
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        if (!VmService.HasSession(vm, sid))
        {
            throw ContractException.NotFound($"session not found: {sid}", "session");
        }

        if (PatchFields.Any(body.Has))
        {
            throw ContractException.Unsupported("terminal size and idle time apply to interactive terminals, which the local Arker server does not have", "persistent_pty");
        }

        await ApiResponses.WriteAsync(context, new PatchSessionBody(Ok: true, sid), CurrentJsonContext.Default.PatchSessionBody);
    }

    private async Task DeleteAsync(HttpContext context, string id, string sid)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        await VmService.DeleteSessionAsync(vm, sid);
        await ApiResponses.WriteAsync(context, new DeletedBody(Deleted: true), CurrentJsonContext.Default.DeletedBody);
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex VariableName();
}
