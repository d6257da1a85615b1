using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Arker.Testing.Client.Wire;

namespace Arker.Testing.Client;

// The operations whose shape differs in the current Arker API: fork (idempotent), runs (200, or
// 202 and polling), named sessions, and listing on the control plane with each VM's own host.
public sealed partial class ArkerClient
{
    /// <summary>How long a run is awaited in its request before the service backgrounds it and the client polls (tests shorten it).</summary>
    internal long SecondsToBackground { get; set; } = 30;

    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromSeconds(1);

    /// <summary>Hosts of VMs that live in another placement than <see cref="BaseUrl"/>, learned from list results.</summary>
    private readonly ConcurrentDictionary<string, Uri> _vmHosts = new(StringComparer.Ordinal);

    /// <summary>Named sessions (<c>RunOptions.SessionId = "build"</c>) and the ids the service gave them, per VM.</summary>
    private readonly ConcurrentDictionary<(string VmId, string Name), string> _sessions = new();

    private Dictionary<(string Provider, string Region), Uri>? _placements;

    /// <summary>The compute host of a VM: its own placement's, when a list said it lives elsewhere.</summary>
    internal Uri HostFor(string vmId) => _vmHosts.TryGetValue(vmId, out Uri? host) ? host : BaseUrl;

    private void Forget(string vmId)
    {
        _vmHosts.TryRemove(vmId, out _);
        foreach (var key in _sessions.Keys.Where(k => k.VmId == vmId))
        {
            _sessions.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// A new VM made from the container image <paramref name="image"/> (a registry reference such as
    /// <c>docker.io/library/debian:bookworm</c>; the local server also takes any reference skopeo
    /// takes, such as <c>oci:LAYOUT:TAG</c>): the current API's fork from an image. The Arker API
    /// 0.1 has none: there it throws <see cref="NotSupportedException"/>.
    /// </summary>
    public async Task<Computer> ForkImageAsync(string image, ForkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        if (Protocol == ArkerProtocol.V01)
        {
            throw new NotSupportedException("The Arker API 0.1 cannot fork a container image: use the current Arker API (a base URL ending in /api).");
        }

        options ??= new ForkOptions();
        var request = new CurrentForkRequest(null, null, options.Name, options.IsPublic ? true : null, image);
        VmResponse vm = await SendJsonAsync(HttpMethod.Post, BaseUrl, "/v1/fork", request, ArkerJsonContext.Default.CurrentForkRequest, ArkerJsonContext.Default.VmResponse,
            cancellationToken, idempotencyKey: NewIdempotencyKey());
        return new Computer(this, vm.VmId is { Length: > 0 } given ? given : throw new ArkerException("internal", "fork response missing vm_id", 200));
    }

    private async Task<Computer> ForkCurrentAsync(string idOrName, ForkOptions options, CancellationToken cancellationToken)
    {
        if (options.Region is not null)
        {
            throw new ArgumentException("ForkOptions.Region applies to the Arker API 0.1; on the current API a VM is made where its source lives (set the client's BaseUrl, or ARKER_PROVIDER and ARKER_REGION).", nameof(options));
        }

        bool byId = VmIds.LooksLikeVmId(idOrName);
        var request = new CurrentForkRequest(byId ? idOrName : null, byId ? null : idOrName, options.Name, options.IsPublic ? true : null);
        Uri host = HostFor(idOrName);
        VmResponse vm = await SendJsonAsync(HttpMethod.Post, host, "/v1/fork", request, ArkerJsonContext.Default.CurrentForkRequest, ArkerJsonContext.Default.VmResponse,
            cancellationToken, idempotencyKey: NewIdempotencyKey());
        string id = vm.VmId is { Length: > 0 } given ? given : throw new ArkerException("internal", "fork response missing vm_id", 200);
        if (host != BaseUrl)
        {
            _vmHosts[id] = host;
        }

        // A fork starts with its source's sessions (the local server keeps their ids; elsewhere a missing one is made again).
        foreach (var ((vmId, name), sessionId) in _sessions.Where(s => s.Key.VmId == idOrName).ToArray())
        {
            _sessions.TryAdd((id, name), sessionId);
        }

        return new Computer(this, id);
    }

    private async Task<RunResult> RunCurrentAsync(string vmId, string command, RunOptions? options, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        SessionId session = options?.SessionId ?? SessionId.Default;
        long? timeout = options?.Timeout is { } limit ? (long)Math.Ceiling(limit.TotalSeconds) : null;
        Uri host = HostFor(vmId);
        CurrentRunResponse run;
        try
        {
            run = await StartRunAsync(vmId, host, command, session, timeout, cancellationToken);
        }
        catch (ArkerException ex) when (ex.Code == "not_found" && _sessions.TryRemove((vmId, session.Value), out _))
        {
            run = await StartRunAsync(vmId, host, command, session, timeout, cancellationToken); // the session is gone (a fork elsewhere): make it again
        }

        string? runId = run.RunId;
        try
        {
            TimeSpan wait = FirstPoll;
            while (!run.IsFinished)
            {
                await Task.Delay(wait, _time, cancellationToken);
                wait = wait * 2 < LongestPoll ? wait * 2 : LongestPoll;
                run = await SendAsync(HttpMethod.Get, host, VmRoute(vmId, $"/runs/{Uri.EscapeDataString(runId!)}"), null, ArkerJsonContext.Default.CurrentRunResponse, Options.RequestTimeout, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && runId is not null)
        {
            await CancelRunAsync(host, vmId, runId);
            throw;
        }

        if (run.State == "failed")
        {
            throw new ArkerException("operation_failed", $"the run of `{command}` failed: {run.FailReason ?? "no reason given"}", 200);
        }

        return new RunResult(command, Decode(run.Stdout, run.StdoutEncoding), Decode(run.Stderr, run.StderrEncoding), run.ExitCode ?? -1,
            Stopwatch.GetElapsedTime(started), session.Value, cwd: "");
    }

    private async Task<CurrentRunResponse> StartRunAsync(string vmId, Uri host, string command, SessionId session, long? timeout, CancellationToken cancellationToken)
    {
        // A number (or text that is one, as 0.1 has it) is the session's index; any other name maps to a session the client makes.
        int? sessionIndex = int.TryParse(session.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int index) ? index : null;
        string? sessionId = sessionIndex is null ? await SessionIdAsync(vmId, host, session.Value, cancellationToken) : null;
        var request = new CurrentRunRequest(command, sessionId, sessionIndex, timeout, SecondsToBackground);
        try
        {
            return await SendJsonAsync(HttpMethod.Post, host, VmRoute(vmId, "/runs"), request, ArkerJsonContext.Default.CurrentRunRequest, ArkerJsonContext.Default.CurrentRunResponse,
                cancellationToken, Options.RequestTimeout + TimeSpan.FromSeconds(SecondsToBackground), NewIdempotencyKey());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run's id never arrived: stop what runs in its session, as 0.1's dropped request did.
            await CancelRunningAsync(host, vmId, sessionId, command);
            throw;
        }
    }

    /// <summary>The service's id for a named session of a VM, made on first use.</summary>
    private async Task<string> SessionIdAsync(string vmId, Uri host, string name, CancellationToken cancellationToken)
    {
        if (_sessions.TryGetValue((vmId, name), out string? known))
        {
            return known;
        }

        SessionResponse created = await SendJsonAsync(HttpMethod.Post, host, VmRoute(vmId, "/sessions"), new CreateSessionRequest(), ArkerJsonContext.Default.CreateSessionRequest,
            ArkerJsonContext.Default.SessionResponse, cancellationToken, replaySafe: false);
        string id = created.SessionId ?? throw new ArkerException("internal", "session response missing session_id", 200);
        return _sessions.GetOrAdd((vmId, name), id);
    }

    /// <summary>Best effort: a cancelled test must not leave its command running.</summary>
    private async Task CancelRunAsync(Uri host, string vmId, string runId)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, host, VmRoute(vmId, $"/runs/{Uri.EscapeDataString(runId)}"), null, ArkerJsonContext.Default.WireResponse, TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        catch (ArkerException)
        {
            // Already finished, or the VM is gone: nothing is left running.
        }
    }

    private async Task CancelRunningAsync(Uri host, string vmId, string? sessionId, string command)
    {
        try
        {
            RunListResponse running = await SendAsync(HttpMethod.Get, host, VmRoute(vmId, "/runs?state=running"), null, ArkerJsonContext.Default.RunListResponse, TimeSpan.FromSeconds(10), CancellationToken.None);
            foreach (CurrentRunResponse run in (running.Runs ?? []).Where(r => r.RunId is not null && (sessionId is null || r.SessionId == sessionId)))
            {
                await CancelRunAsync(host, vmId, run.RunId!);
            }
        }
        catch (ArkerException)
        {
        }
    }

    /// <summary>The current API lists by cursor with no name filter: the client pages through, filters, sorts and slices as 0.1's list did.</summary>
    private async Task<VmList> ListCurrentAsync(ListOptions options, CancellationToken cancellationToken)
    {
        var all = new List<VmResponse>();
        string? cursor = null;
        do
        {
            string query = "/v1/vms?limit=1000" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            VmListResponse page = await SendAsync(HttpMethod.Get, GlobalUrl, query, null, ArkerJsonContext.Default.VmListResponse, Options.RequestTimeout, cancellationToken);
            all.AddRange(page.Vms ?? []);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        await LearnHostsAsync(all, cancellationToken);
        // The service lists newest first; its order breaks ties between VMs made in the same millisecond.
        var matches = all.Select((vm, newestFirst) => (Vm: vm, Rank: newestFirst))
            .Where(v => options.Query is null || (v.Vm.Name?.Contains(options.Query, StringComparison.Ordinal) ?? false));
        VmResponse[] sorted = [.. (options.Sort switch
        {
            null or "-created_at" => matches.OrderByDescending(v => v.Vm.CreatedAt).ThenBy(v => v.Rank),
            "created_at" => matches.OrderBy(v => v.Vm.CreatedAt).ThenByDescending(v => v.Rank),
            "region" => matches.OrderBy(v => v.Vm.Region, StringComparer.Ordinal).ThenBy(v => v.Rank),
            "-region" => matches.OrderByDescending(v => v.Vm.Region, StringComparer.Ordinal).ThenBy(v => v.Rank),
            _ => throw new ArgumentException($"ListOptions.Sort must be created_at, -created_at, region or -region (got '{options.Sort}').", nameof(options)),
        }).Select(v => v.Vm)];
        var items = sorted.Skip(options.Offset).Take(options.Limit ?? 25)
            .Select(v => new VmSummary(v.VmId ?? "", v.Name, v.RootSourceVmName ?? "", v.Region ?? "", v.CreatedAt))
            .ToArray();
        return new VmList(items, sorted.Length);
    }

    /// <summary>Routes later calls of listed VMs that live in another placement to that placement's host (from <c>GET /v1/regions</c>).</summary>
    private async Task LearnHostsAsync(IEnumerable<VmResponse> vms, CancellationToken cancellationToken)
    {
        foreach (VmResponse vm in vms.Where(v => v.VmId is not null && v.Provider is not null && v.Region is not null))
        {
            _placements ??= await PlacementsAsync(cancellationToken);
            if (_placements.TryGetValue((vm.Provider!, vm.Region!), out Uri? host) && host != BaseUrl)
            {
                _vmHosts[vm.VmId!] = host;
            }
        }
    }

    private async Task<Dictionary<(string, string), Uri>> PlacementsAsync(CancellationToken cancellationToken)
    {
        RegionsResponse regions = await SendAsync(HttpMethod.Get, GlobalUrl, "/v1/regions", null, ArkerJsonContext.Default.RegionsResponse, Options.RequestTimeout, cancellationToken);
        return (regions.Regions ?? [])
            .Where(r => r.Provider is not null && r.Region is not null && Uri.TryCreate(r.Endpoint, UriKind.Absolute, out _))
            .ToDictionary(r => (r.Provider!, r.Region!), r => WithoutTrailingSlash(new Uri(r.Endpoint!)));
    }

    private static string NewIdempotencyKey() => Guid.NewGuid().ToString("N");
}
