using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Arker.Testing.Client.Wire;

namespace Arker.Testing.Client;

public sealed partial class ArkerClient
{
    private const int MaxPageSize = 100;

    /// <summary>One page of your organisation's VMs (from the global host, or the current API's control plane).</summary>
    public Task<VmList> ListAsync(ListOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ListOptions();
        if (options.Limit is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Limit, "ListOptions.Limit is a page size from 1 to 100.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.Offset, nameof(options.Offset));
        return Protocol == ArkerProtocol.V01 ? ListV01Async(options, cancellationToken) : ListCurrentAsync(options, cancellationToken);
    }

    private async Task<VmList> ListV01Async(ListOptions options, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("/api/v1/vms/list");
        char separator = '?';
        void Add(string name, string value)
        {
            query.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        if (options.Limit is { } limit)
        {
            Add("limit", limit.ToString(CultureInfo.InvariantCulture));
        }

        if (options.Offset != 0)
        {
            Add("offset", options.Offset.ToString(CultureInfo.InvariantCulture));
        }

        if (options.Query is not null)
        {
            Add("q", options.Query);
        }

        if (options.Sort is not null)
        {
            Add("sort", options.Sort);
        }

        ListResponse page = await SendAsync(HttpMethod.Get, GlobalUrl, query.ToString(), null, ArkerJsonContext.Default.ListResponse, Options.RequestTimeout, cancellationToken);
        var items = (page.Items ?? []).Select(i => new VmSummary(i.VmId ?? "", i.Name, i.BaseImage ?? "", i.Region ?? "", i.CreatedAt)).ToArray();
        return new VmList(items, page.Total);
    }

    /// <summary>Every matching VM, page after page (100 per page unless <see cref="ListOptions.Limit"/> says otherwise).</summary>
    public async IAsyncEnumerable<VmSummary> ListAllAsync(ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var page = new ListOptions
        {
            Limit = options?.Limit ?? MaxPageSize,
            Offset = options?.Offset ?? 0,
            Query = options?.Query,
            Sort = options?.Sort,
        };
        while (true)
        {
            VmList list = await ListAsync(page, cancellationToken);
            foreach (VmSummary item in list.Items)
            {
                yield return item;
            }

            page.Offset += list.Items.Count;
            if (list.Items.Count == 0 || page.Offset >= list.Total)
            {
                yield break;
            }
        }
    }

    internal Task<Computer> ForkAsync(string idOrName, ForkOptions? options, CancellationToken cancellationToken) =>
        Protocol == ArkerProtocol.V01 ? ForkV01Async(idOrName, options ?? new ForkOptions(), cancellationToken) : ForkCurrentAsync(idOrName, options ?? new ForkOptions(), cancellationToken);

    private async Task<Computer> ForkV01Async(string idOrName, ForkOptions options, CancellationToken cancellationToken)
    {
        string resolved = VmIds.ResolveAlias(idOrName);
        ForkResponse response = VmIds.LooksLikeVmId(resolved)
            ? await SendJsonAsync(HttpMethod.Post, BaseUrl, $"/api/v1/vms/{resolved}/fork", new ForkRequest(options.IsPublic, options.Name, options.Region, null), ArkerJsonContext.Default.ForkRequest, ArkerJsonContext.Default.ForkResponse, cancellationToken)
            : await SendJsonAsync(HttpMethod.Post, GlobalUrl, "/api/v1/vms/fork", new ForkRequest(options.IsPublic, options.Name, options.Region, idOrName), ArkerJsonContext.Default.ForkRequest, ArkerJsonContext.Default.ForkResponse, cancellationToken);
        return response.VmId is { Length: > 0 } id
            ? new Computer(this, id)
            : throw new ArkerException("internal", "fork response missing vm_id", 200);
    }

    internal Task<RunResult> RunAsync(string vmId, string command, RunOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (options?.Timeout is { } given && given < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), given, "RunOptions.Timeout must not be negative.");
        }

        return Protocol == ArkerProtocol.V01 ? RunV01Async(vmId, command, options, cancellationToken) : RunCurrentAsync(vmId, command, options, cancellationToken);
    }

    private async Task<RunResult> RunV01Async(string vmId, string command, RunOptions? options, CancellationToken cancellationToken)
    {
        TimeSpan? limit = options?.Timeout;
        var request = new RunRequest(command, options?.SessionId ?? SessionId.Default, limit?.TotalSeconds);

        // The HTTP request must outlive the command: its own limit, plus the usual allowance.
        TimeSpan httpTimeout = limit is { } seconds ? seconds + Options.RequestTimeout : Timeout.InfiniteTimeSpan;
        RunResponse r = await SendJsonAsync(HttpMethod.Post, BaseUrl, VmRoute(vmId, "/run"), request, ArkerJsonContext.Default.RunRequest, ArkerJsonContext.Default.RunResponse, cancellationToken, httpTimeout);
        return new RunResult(
            command,
            Decode(r.Stdout, r.StdoutEncoding),
            Decode(r.Stderr, r.StderrEncoding),
            r.ExitCode,
            TimeSpan.FromMilliseconds(r.DurationMs),
            r.SessionId ?? request.SessionId.Value,
            r.Cwd ?? "");
    }

    internal async Task DeleteAsync(string vmId, CancellationToken cancellationToken)
    {
        await SendAsync(HttpMethod.Delete, HostFor(vmId), VmRoute(vmId), null, ArkerJsonContext.Default.WireResponse, Options.RequestTimeout, cancellationToken);
        Forget(vmId);
    }

    internal async Task<Uri> ForwardHostPortAsync(string vmId, int hostPort, int? guestPort, CancellationToken cancellationToken)
    {
        RequireLocalPorts("offering a host port to a VM");
        HostPortResponse forward = await SendJsonAsync(HttpMethod.Post, HostFor(vmId), VmRoute(vmId, "/host-ports"), new ForwardHostPortRequest(hostPort, guestPort),
            ArkerJsonContext.Default.ForwardHostPortRequest, ArkerJsonContext.Default.HostPortResponse, cancellationToken);
        return Uri.TryCreate(forward.GuestUrl, UriKind.Absolute, out Uri? url) ? url : throw new ArkerException("internal", $"the host port's answer has no guest URL (got '{forward.GuestUrl}')", 200);
    }

    private void RequireLocalPorts(string what)
    {
        if (Protocol != ArkerProtocol.Current)
        {
            throw new NotSupportedException($"{what} needs the current Arker API; this client speaks {Protocol} (set ArkerClientOptions.Protocol to Current)");
        }
    }

    internal async Task<Uri> ExposePortAsync(string vmId, int guestPort, CancellationToken cancellationToken)
    {
        RequireLocalPorts("exposing a guest port");
        ExposedPortResponse exposed;
        try
        {
            exposed = await SendJsonAsync(HttpMethod.Post, HostFor(vmId), VmRoute(vmId, "/ports"), new ExposePortRequest(guestPort),
                ArkerJsonContext.Default.ExposePortRequest, ArkerJsonContext.Default.ExposedPortResponse, cancellationToken);
        }
        catch (ArkerException ex) when (ex.Status == 405 || ex.Code == "not_implemented")
        {
            throw new NotSupportedException($"the Arker service at {HostFor(vmId)} does not expose guest ports this way (a local Arker server extension); on the Arker service, reach the VM through its network policy's hostname", ex);
        }

        return Uri.TryCreate(exposed.Url, UriKind.Absolute, out Uri? url) ? url : throw new ArkerException("internal", $"the exposed port's answer has no URL (got '{exposed.Url}')", 200);
    }

    internal Task<NetworkPolicy> GetNetworkPolicyAsync(string vmId, CancellationToken cancellationToken) =>
        PolicyAsync(HttpMethod.Get, vmId, null, cancellationToken);

    internal Task<NetworkPolicy> SetNetworkPolicyAsync(string vmId, NetworkPolicy policy, CancellationToken cancellationToken) =>
        PolicyAsync(HttpMethod.Put, vmId, NetworkPolicyJson.Write(policy), cancellationToken);

    /// <summary>
    /// The policy routes of the current API; the 0.1 API has none, but the local Arker server serves
    /// the same below its 0.1 base, so a 0.1 client can use them there (elsewhere they are not supported).
    /// </summary>
    private async Task<NetworkPolicy> PolicyAsync(HttpMethod method, string vmId, byte[]? body, CancellationToken cancellationToken)
    {
        PolicyDocResponse document;
        try
        {
            document = await SendAsync(method, HostFor(vmId), VmRoute(vmId, "/policies"), body, ArkerJsonContext.Default.PolicyDocResponse, Options.RequestTimeout, cancellationToken);
        }
        catch (ArkerException ex) when (Protocol == ArkerProtocol.V01 && (ex.Status is 404 or 405 or 501 || ex.Code == "not_implemented"))
        {
            throw new NotSupportedException($"the Arker service at {HostFor(vmId)} has no network policies on the 0.1 API (the local Arker server does); use the current API (ArkerClientOptions.Protocol = Current)", ex);
        }

        return document.Policies.ValueKind == System.Text.Json.JsonValueKind.Array ? NetworkPolicyJson.Read(document.Policies) : NetworkPolicy.Default;
    }

    /// <summary>
    /// Stores <paramref name="vmId"/> in the local Arker server's base cache as <paramref name="name"/>
    /// (a local extension, current API only), so later servers on the same machine offer it by that
    /// name; <paramref name="inputs"/> (what its provisioning read from this machine) is kept with it.
    /// </summary>
    internal async Task StoreInLocalBaseCacheAsync(string vmId, string name, string recipeHash, string? inputs, CancellationToken cancellationToken)
    {
        RequireLocalPorts("storing a base in the local base cache");
        await SendJsonAsync(HttpMethod.Post, HostFor(vmId), VmRoute(vmId, "/cache"), new CacheBaseRequest(name, recipeHash, inputs),
            ArkerJsonContext.Default.CacheBaseRequest, ArkerJsonContext.Default.CachedBaseResponse, cancellationToken, replaySafe: false);
    }

    /// <summary>The bases the local Arker server's base cache offers (a local extension, current API only).</summary>
    internal async Task<IReadOnlyList<CachedBaseResponse>> ListLocalBaseCacheAsync(CancellationToken cancellationToken)
    {
        RequireLocalPorts("listing the local base cache");
        CachedBaseListResponse list = await SendAsync(HttpMethod.Get, BaseUrl, "/v1/cache", null, ArkerJsonContext.Default.CachedBaseListResponse, Options.RequestTimeout, cancellationToken);
        return list.Bases ?? [];
    }

    /// <summary>
    /// A shell command that runs <paramref name="command"/> in a VM
    /// with curl, in this client's generation, the API key read from <c>$ARKER_API_KEY</c>: what a
    /// person pastes into a terminal to look at a kept VM.
    /// </summary>
    internal string CurlCommandThatRuns(string vmId, string command)
    {
        string url = HostFor(vmId).OriginalString + VmRoute(vmId, Protocol == ArkerProtocol.V01 ? "/run" : "/runs");
        string json = System.Text.Json.JsonEncodedText.Encode(command).ToString(); // escapes ' too, so it fits in single quotes
        return $"curl -sS -H \"authorization: Bearer $ARKER_API_KEY\" -H 'content-type: application/json' -d '{{\"command\":\"{json}\"}}' {url}";
    }

    /// <summary>A VM's route below its compute host, in this client's generation (<paramref name="rest"/> such as <c>/sync</c>).</summary>
    internal string VmRoute(string vmId, string rest = "") =>
        Protocol == ArkerProtocol.V01 ? $"/api/v1/vms/{vmId}{rest}" : $"/v1/vms/{Uri.EscapeDataString(vmId)}{rest}";

    /// <summary>Text or base64, as the response's encoding field says.</summary>
    internal static byte[] Decode(string? text, string? encoding) =>
        text is null ? [] : encoding == "base64" ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
}
