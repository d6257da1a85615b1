using Microsoft.Extensions.Logging;

namespace Arker.Testing.Client;

/// <summary>Settings of an <see cref="ArkerClient"/>.</summary>
public sealed class ArkerClientOptions
{
    /// <summary>The default control plane of the Arker service (list VMs, regions) for the current API.</summary>
    public static readonly Uri DefaultControlBaseUrl = new("https://arker.ai/api");

    /// <summary>The default global host of the Arker API 0.1 (list, fork by name).</summary>
    public static readonly Uri DefaultGlobalUrl = new("https://arker.ai");

    /// <summary>The API key sent as <c>authorization: Bearer</c>.</summary>
    /// <value>The default is the <c>ARKER_API_KEY</c> environment variable.</value>
    public string? ApiKey { get; set; }

    /// <summary>The API generation to speak.</summary>
    /// <value>
    /// The default is <see langword="null"/>: <see cref="ArkerProtocol.V01"/> when the base URL
    /// (<see cref="BaseUrl"/> or <c>ARKER_BASE_URL</c>) does not end in <c>/api</c> (0.1 bases are
    /// origins, such as <c>http://127.0.0.1:8787/arker-0.1</c>), else <see cref="ArkerProtocol.Current"/>.
    /// </value>
    public ArkerProtocol? Protocol { get; set; }

    /// <summary>The compute host: fork, run, sync, delete.</summary>
    /// <value>
    /// The default is <c>ARKER_BASE_URL</c>. Else, for the current API,
    /// <c>https://{provider}-{region}.arker.ai/api</c> from <see cref="Provider"/> and <see cref="Region"/>
    /// (there is no default placement: without them the client refuses to start, naming the variables).
    /// </value>
    public Uri? BaseUrl { get; set; }

    /// <summary>The control plane (current API: list VMs, regions) or the global host (0.1: list, fork by name).</summary>
    /// <value>The default is <c>ARKER_CONTROL_BASE_URL</c> (current API) or <c>ARKER_GLOBAL_URL</c> (0.1);
    /// else <see cref="BaseUrl"/> when that is a loopback address (a local server serves both), else
    /// <see cref="DefaultControlBaseUrl"/> or <see cref="DefaultGlobalUrl"/>.</value>
    public Uri? GlobalUrl { get; set; }

    /// <summary>The provider of the compute placement, for the current API's default base URL.</summary>
    /// <value>The default is <c>ARKER_PROVIDER</c>.</value>
    public string? Provider { get; set; }

    /// <summary>The region of the compute placement, for the current API's default base URL.</summary>
    /// <value>The default is <c>ARKER_REGION</c>.</value>
    public string? Region { get; set; }

    /// <summary>How many times a request is tried in all when it fails transiently.</summary>
    /// <value>The default is 4.</value>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The first wait between attempts; it doubles after each.</summary>
    /// <value>The default is 0.2 seconds.</value>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The most random time added to each wait.</summary>
    /// <value>The default is 50 milliseconds.</value>
    public TimeSpan MaxRetryJitter { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The time one attempt of one request may take (a run adds its own timeout to it).</summary>
    /// <value>The default is 120 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>The time a presigned upload or download of a large file may take.</summary>
    /// <value>The default is 10 minutes.</value>
    public TimeSpan TransferTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>An <see cref="HttpClient"/> to send with; the client does not dispose it.</summary>
    /// <value>The default is <see langword="null"/>: the client makes its own, with connection reuse.</value>
    public HttpClient? HttpClient { get; set; }

    /// <summary>A handler for the client's own <see cref="HttpClient"/> (ignored when <see cref="HttpClient"/> is set).</summary>
    /// <value>The default is <see langword="null"/>: a <see cref="SocketsHttpHandler"/>.</value>
    public HttpMessageHandler? HttpMessageHandler { get; set; }

    /// <summary>Where each request is logged, at Debug level (never the key or file contents).</summary>
    /// <value>The default is <see langword="null"/>: no logging.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for retry waits and timeouts.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
