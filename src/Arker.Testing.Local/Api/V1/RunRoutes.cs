using System.Globalization;
using System.Text.Json;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// Runs: a command starts in a session and is answered 200 with its result when it ends within
/// the synchronous window (<c>time_to_background</c>, 300 s by default), else 202 with a run id to
/// poll; runs are listed, read and cancelled by id.
/// </summary>
internal sealed class RunRoutes(VmService vms, IdempotencyKeys idempotency, TimeSpan defaultTimeout)
{
    private const long MaxJsonBodyBytes = 1024 * 1024;

    /// <summary>The contract's default synchronous window.</summary>
    private const int DefaultSecondsToBackground = 300;

    /// <summary>The longest timeout the runtime's timers can wait (2^32 - 2 ms, about 49 days).</summary>
    private const long MaxTimeoutSeconds = 4_294_967;

    private static readonly string[] RunFields =
    [
        "session_id", "session_idx", "command", "timeout", "time_to_background", "background", "queueing_timeout", "end_symbol",
        "vcpu_count", "memory_mib", "disk_mib", "memory_backend", "signal", "policies",
    ];

    public void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/vms/{id}/runs", CreateAsync).WithName("createRun");
        api.MapGet("/v1/vms/{id}/runs", List).WithName("listRuns");
        api.MapGet("/v1/vms/{id}/runs/{runId}", Get).WithName("getRun");
        api.MapDelete("/v1/vms/{id}/runs/{runId}", CancelAsync).WithName("cancelRun");
    }

    private async Task CreateAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown(RunFields);
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        if (body.Has("signal"))
        {
            throw ContractException.Unsupported("the local Arker server does not deliver signals to sessions: cancel the run (DELETE /v1/vms/{id}/runs/{run_id}) to stop it", "guest_control");
        }

        Network.NetworkPolicy? policy = PolicyDocuments.ReadField(body);

        if (body.String("end_symbol") is { } endSymbol && endSymbol is not ("auto" or "none"))
        {
            throw ContractException.Unsupported("the local Arker server runs commands to completion: 'end_symbol' may only be \"auto\" or \"none\"", "guest_control");
        }

        string command = Command(body);
        string sessionId = Session(body, vm);
        if (policy is not null)
        {
            await VmService.ApplyPolicyAsync(vm, policy); // before the run, and kept after it
        }

        TimeSpan timeout = NonNegative(body, "timeout") is { } seconds and > 0
            ? (seconds <= MaxTimeoutSeconds ? TimeSpan.FromSeconds(seconds) : throw ContractException.BadRequest($"field 'timeout' must be at most {MaxTimeoutSeconds} seconds, about 49 days (got {seconds}); omit it or send 0 for the server's limit", "timeout"))
            : defaultTimeout;
        TimeSpan window = SecondsToBackground(body);

        await idempotency.RespondAsync(context, "run", body.RawText, async () =>
        {
            RunRecord run = vms.StartRun(vm, sessionId, command, timeout);
            await Task.WhenAny(run.Completion, Task.Delay(window, context.RequestAborted)).ConfigureAwait(false);
            if (run.State == RunState.Running)
            {
                return Recorded(StatusCodes.Status202Accepted, new BackgroundRunBody(run.SessionId, run.Id, "running"), CurrentJsonContext.Default.BackgroundRunBody);
            }

            RunBody done = Views.Run(run);
            var completed = new CompletedRunBody(done.SessionId, done.RunId, done.State, done.Stdout, done.StdoutEncoding, done.Stderr, done.StderrEncoding, done.ExitCode);
            return Recorded(StatusCodes.Status200OK, completed, CurrentJsonContext.Default.CompletedRunBody);
        });
    }

    private Task List(HttpContext context, string id)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        IQueryCollection query = context.Request.Query;
        string? state = VmRoutes.Query(query, "state");
        if (state is not (null or "pending" or "running" or "completed" or "failed" or "cancelled"))
        {
            throw ContractException.BadRequest($"query parameter 'state' must be pending, running, completed, failed or cancelled (got '{state}')", "state");
        }

        DateTimeOffset? startedAfter = VmRoutes.Timestamp(query, "started_after");
        DateTimeOffset? startedBefore = VmRoutes.Timestamp(query, "started_before");
        DateTimeOffset? completedAfter = VmRoutes.Timestamp(query, "completed_after");
        IEnumerable<RunRecord> matches = vm.Runs.All
            .Where(r => state is null || Views.StateName(r.State) == state)
            .Where(r => startedAfter is null || r.StartedAt >= startedAfter)
            .Where(r => startedBefore is null || r.StartedAt <= startedBefore)
            .Where(r => completedAfter is null || r.CompletedAt >= completedAfter);
        (RunRecord[] page, string? next) = VmRoutes.Page(matches, query);
        return ApiResponses.WriteAsync(context, new RunListBody([.. page.Select(Views.RunSummary)], next), CurrentJsonContext.Default.RunListBody);
    }

    private Task Get(HttpContext context, string id, string runId) =>
        ApiResponses.WriteAsync(context, Views.Run(vms.FindOwnedByIdOrName(context.Organisation(), id).Runs.Find(runId)), CurrentJsonContext.Default.RunBody);

    private async Task CancelAsync(HttpContext context, string id, string runId)
    {
        RunRecord run = vms.FindOwnedByIdOrName(context.Organisation(), id).Runs.Find(runId);
        bool cancelled = run.Cancel();
        if (cancelled)
        {
            await run.Completion.WaitAsync(TimeSpan.FromSeconds(10), context.RequestAborted);
        }

        await ApiResponses.WriteAsync(context, new CancelBody(cancelled), CurrentJsonContext.Default.CancelBody);
    }

    private static string Command(JsonFields body)
    {
        string command = body.String("command") ?? throw ContractException.BadRequest("field 'command' is required: give a shell command (such as 'true')", "command");
        return string.IsNullOrWhiteSpace(command)
            ? throw ContractException.BadRequest("field 'command' must not be empty: give a shell command (such as 'true')", "command")
            : command.Contains('\0', StringComparison.Ordinal)
                ? throw ContractException.BadRequest("field 'command' must not contain a NUL byte", "command")
                : command;
    }

    /// <summary>The session to run in: <c>session_id</c> (which must exist), else <c>session_idx</c>, else the default session.</summary>
    private static string Session(JsonFields body, VmRecord vm)
    {
        if (body.String("session_id") is { } sessionId)
        {
            return VmService.HasSession(vm, sessionId)
                ? sessionId
                : throw ContractException.NotFound($"session not found: {sessionId}; create one with POST /v1/vms/{{id}}/sessions", "session");
        }

        return NonNegative(body, "session_idx") is { } index
            ? VmService.SessionIdAt(vm, index <= int.MaxValue ? (int)index : throw ContractException.BadRequest("field 'session_idx' is too large", "session_idx"))
            : VmService.DefaultSession;
    }

    private static TimeSpan SecondsToBackground(JsonFields body)
    {
        bool? background = body.Has("background") ? body.Boolean("background", defaultValue: false) : null;
        long? seconds = NonNegative(body, "time_to_background");
        if (background is not null && seconds is not null)
        {
            throw ContractException.BadRequest("send 'time_to_background' or 'background', not both", "background");
        }

        return TimeSpan.FromSeconds(background == true ? 0 : Math.Min(seconds ?? DefaultSecondsToBackground, int.MaxValue / 1000));
    }

    private static long? NonNegative(JsonFields body, string name)
    {
        long? value;
        try
        {
            value = body.Integer(name);
        }
        catch (ApiFailure ex)
        {
            throw ContractException.BadRequest(ex.Message, name);
        }

        return value is < 0 ? throw ContractException.BadRequest($"field '{name}' must be an integer >= 0 (got {value.Value.ToString(CultureInfo.InvariantCulture)})", name) : value;
    }

    private static RecordedResponse Recorded<T>(int status, T body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        new(status, JsonSerializer.SerializeToUtf8Bytes(body, type));
}
