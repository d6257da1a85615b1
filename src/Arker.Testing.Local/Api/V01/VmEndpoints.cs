using System.Globalization;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V01;

/// <summary>Fork, run, list and delete.</summary>
internal sealed class VmEndpoints
{
    private const long MaxJsonBodyBytes = 1024 * 1024;

    /// <summary>The longest VM name (local choice; the contract sets none).</summary>
    private const int MaxNameLength = 255;

    /// <summary>The longest run timeout: what the runtime's timers can wait (2^32 - 2 ms, about 49 days).</summary>
    private const int MaxTimeoutSeconds = 4_294_967;

    private static readonly string[] Sorts = ["created_at", "-created_at", "region", "-region"];
    private readonly VmService _vms;
    private readonly TimeSpan _defaultTimeout;

    public VmEndpoints(VmService vms, TimeSpan defaultTimeout)
    {
        _vms = vms;
        _defaultTimeout = defaultTimeout;
    }

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/vms/fork", ForkByNameAsync);
        routes.MapPost("/api/v1/vms/{id}/fork", ForkByIdAsync);
        routes.MapPost("/api/v1/vms/{id}/run", RunAsync);
        routes.MapDelete("/api/v1/vms/{id}", DeleteAsync);
        routes.MapGet("/api/v1/vms/list", List);
    }

    private async Task ForkByIdAsync(HttpContext context, string id)
    {
        JsonFields body = await ReadOptionalBodyAsync(context.Request);
        VmRecord parent = _vms.FindForFork(context.Organisation(), id);
        await ForkAsync(context, parent, body);
    }

    private async Task ForkByNameAsync(HttpContext context)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        string from = body.String("from", required: true)!;
        VmRecord parent = await _vms.FindForForkByNameAsync(context.Organisation(), from);
        await ForkAsync(context, parent, body);
    }

    private async Task ForkAsync(HttpContext context, VmRecord parent, JsonFields body)
    {
        string? name = body.String("name");
        if (name?.Length > MaxNameLength)
        {
            throw ApiException.BadRequest($"field 'name' must be at most {MaxNameLength} characters (got {name.Length})");
        }

        bool isPublic = body.Boolean("is_public", defaultValue: false);
        string? region = body.String("region");
        if (region is not null && region != VmService.RegionName)
        {
            throw new ApiException("unsupported_region", 422, $"the local Arker server has one region, '{VmService.RegionName}' (got '{region}')");
        }

        VmRecord child = await _vms.ForkAsync(context.Organisation(), parent, name, isPublic);
        var response = new ForkResponse(child.Id, child.Name, child.BaseImage, child.Region, parent.Id, ApiResponses.Timestamp(child.CreatedAt), child.IsPublic);
        await ApiResponses.WriteAsync(context, response, ApiJsonContext.Default.ForkResponse);
    }

    private async Task RunAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        string command = body.String("command", required: true)!;
        if (string.IsNullOrWhiteSpace(command))
        {
            throw ApiException.BadRequest("field 'command' must not be empty: give a shell command (such as 'true')");
        }

        if (command.Contains('\0', StringComparison.Ordinal))
        {
            throw ApiException.BadRequest("field 'command' must not contain a NUL byte");
        }

        string sessionId = body.StringOrInteger("session_id") ?? "0";
        double seconds = body.Number("timeout") ?? 0;
        if (seconds < 0 || double.IsNaN(seconds))
        {
            throw ApiException.BadRequest($"field 'timeout' must be a number of seconds >= 0 (got {seconds})");
        }

        if (seconds > MaxTimeoutSeconds)
        {
            throw ApiException.BadRequest($"field 'timeout' must be at most {MaxTimeoutSeconds} seconds, about 49 days (got {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}); 0 means the server's default limit");
        }

        TimeSpan timeout = seconds == 0 ? _defaultTimeout : TimeSpan.FromSeconds(seconds);
        var outcome = await _vms.RunAsync(context.Organisation(), id, sessionId, command, timeout, context.RequestAborted);
        (string stdout, string stdoutEncoding) = ApiResponses.EncodeOutput(outcome.Stdout);
        (string stderr, string stderrEncoding) = ApiResponses.EncodeOutput(outcome.Stderr);
        var response = new RunResponse(stdout, stdoutEncoding, stderr, stderrEncoding, outcome.ExitCode,
            Math.Round(outcome.Duration.TotalMilliseconds, 3), outcome.SessionId, outcome.Cwd);
        await ApiResponses.WriteAsync(context, response, ApiJsonContext.Default.RunResponse);
    }

    private async Task DeleteAsync(HttpContext context, string id)
    {
        VmRecord vm = _vms.FindOwned(context.Organisation(), id);
        await _vms.DeleteAsync(vm);
        await ApiResponses.WriteAsync(context, new DeleteResponse(Deleted: true), ApiJsonContext.Default.DeleteResponse);
    }

    private Task List(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        int limit = QueryInteger(query, "limit", 25, min: 1, max: 100);
        int offset = QueryInteger(query, "offset", 0, min: 0, max: int.MaxValue);
        string? q = query.TryGetValue("q", out var qs) ? qs.ToString() : null;
        string sort = query.TryGetValue("sort", out var sorts) ? sorts.ToString() : "-created_at";
        if (!Sorts.Contains(sort))
        {
            throw ApiException.BadRequest($"query parameter 'sort' must be one of {string.Join(", ", Sorts)} (got '{sort}')");
        }

        (IReadOnlyList<VmRecord> page, int total) = _vms.List(context.Organisation(), q, sort, limit, offset);
        var items = page.Select(v => new ListItem(v.Id, v.Name, v.BaseImage, v.Region, ApiResponses.Timestamp(v.CreatedAt))).ToArray();
        return ApiResponses.WriteAsync(context, new ListResponse(items, total), ApiJsonContext.Default.ListResponse);
    }

    private static int QueryInteger(IQueryCollection query, string name, int defaultValue, int min, int max)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return defaultValue;
        }

        string text = values.ToString();
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw ApiException.BadRequest(max == int.MaxValue
                ? $"query parameter '{name}' must be an integer >= {min} (got '{text}')"
                : $"query parameter '{name}' must be an integer from {min} to {max} (got '{text}')");
    }

    private static async Task<JsonFields> ReadOptionalBodyAsync(HttpRequest request) =>
        request.ContentLength == 0
            ? new JsonFields(System.Text.Json.JsonDocument.Parse("{}").RootElement)
            : await JsonFields.ReadBodyAsync(request, MaxJsonBodyBytes);
}
