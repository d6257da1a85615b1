using Arker.Testing.Client.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arker.Testing.Client;

/// <summary>
/// The Arker VM API: fork, run, sync, list, delete. Thread-safe; one instance per process is enough
/// (it reuses connections). Its vocabulary follows the official Python and TypeScript SDKs.
/// </summary>
/// <example>
/// <code>
/// var arker = new ArkerClient(new ArkerClientOptions { ApiKey = "ark_...", BaseUrl = new Uri("http://127.0.0.1:8787/arker-0.1") });
/// Computer vm = await arker.Vm("arkuntu").ForkAsync(new ForkOptions { Name = "hello" });
/// RunResult r = await vm.RunAsync("echo hi");
/// await vm.DeleteAsync();
/// </code>
/// </example>
public sealed partial class ArkerClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _authorization;

    /// <summary>A client configured from <c>ARKER_API_KEY</c> and <c>ARKER_BASE_URL</c>.</summary>
    public ArkerClient()
        : this(new ArkerClientOptions())
    {
    }

    /// <summary>A client with the given settings; unset ones come from the environment or the defaults.</summary>
    public ArkerClient(ArkerClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string apiKey = options.ApiKey ?? Environment.GetEnvironmentVariable(ArkerEnvironmentVariables.ApiKey)
            ?? throw new ArgumentException("An API key is required: set ArkerClientOptions.ApiKey or the ARKER_API_KEY environment variable.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1, nameof(options.MaxAttempts));

        Uri? baseUrl = options.BaseUrl ?? FromEnvironment(ArkerEnvironmentVariables.BaseUrl);
        Protocol = options.Protocol ?? (baseUrl is null || baseUrl.AbsolutePath.TrimEnd('/').EndsWith("/api", StringComparison.Ordinal) ? ArkerProtocol.Current : ArkerProtocol.V01);
        if (Protocol == ArkerProtocol.Current)
        {
            BaseUrl = WithoutTrailingSlash(baseUrl ?? PlacementBaseUrl(options));
            GlobalUrl = WithoutTrailingSlash(options.GlobalUrl ?? FromEnvironment(ArkerEnvironmentVariables.ControlBaseUrl) ?? (BaseUrl.IsLoopback ? BaseUrl : ArkerClientOptions.DefaultControlBaseUrl));
        }
        else
        {
            BaseUrl = WithoutTrailingSlash(baseUrl ?? throw new ArgumentException("The Arker API 0.1 has no default host: set ArkerClientOptions.BaseUrl or ARKER_BASE_URL.", nameof(options)));
            GlobalUrl = WithoutTrailingSlash(options.GlobalUrl ?? FromEnvironment(ArkerEnvironmentVariables.GlobalUrl) ?? (BaseUrl.IsLoopback ? BaseUrl : ArkerClientOptions.DefaultGlobalUrl));
        }

        Options = options;
        _authorization = "Bearer " + apiKey;
        _time = options.TimeProvider;
        _logger = options.LoggerFactory?.CreateLogger("Arker.Testing.Client") ?? NullLogger.Instance;
        if (options.HttpClient is { } http)
        {
            _http = http;
        }
        else
        {
            _http = new HttpClient(options.HttpMessageHandler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
            _ownsHttp = true;
        }
    }

    /// <summary>The API generation this client speaks.</summary>
    public ArkerProtocol Protocol { get; }

    /// <summary>The compute host (fork, run, sync, delete).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The control plane (current API) or global host (0.1): list, and 0.1's fork by name.</summary>
    public Uri GlobalUrl { get; }

    internal ArkerClientOptions Options { get; }

    /// <summary>
    /// A handle on a VM by id, or on an image or VM name (such as <c>arkuntu</c>) to fork from.
    /// Makes no network call.
    /// </summary>
    public Computer Vm(string vmIdOrName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vmIdOrName);
        return new Computer(this, vmIdOrName);
    }

    /// <summary>Releases the client's own <see cref="HttpClient"/> (never one passed in the options).</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>The current API's compute base for a provider and region: there is no default placement.</summary>
    private static Uri PlacementBaseUrl(ArkerClientOptions options)
    {
        string? provider = options.Provider ?? Environment.GetEnvironmentVariable(ArkerEnvironmentVariables.Provider);
        string? region = options.Region ?? Environment.GetEnvironmentVariable(ArkerEnvironmentVariables.Region);
        return string.IsNullOrWhiteSpace(provider) || string.IsNullOrWhiteSpace(region)
            ? throw new ArgumentException(
                "No Arker placement is configured: set ARKER_BASE_URL (a compute base ending in /api), or ARKER_PROVIDER and ARKER_REGION "
                + "(or ArkerClientOptions.BaseUrl, or Provider and Region); GET https://arker.ai/api/v1/regions lists the placements.", nameof(options))
            : new Uri($"https://{provider}-{region}.arker.ai/api");
    }

    private static Uri? FromEnvironment(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? new Uri(value) : null;

    private static Uri WithoutTrailingSlash(Uri uri) => new(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'));
}
