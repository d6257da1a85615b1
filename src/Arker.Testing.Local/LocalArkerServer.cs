using System.Security.Cryptography;
using Arker.Testing.Local.Api;
using Arker.Testing.Local.Api.V01;
using Arker.Testing.Local.Api.V1;
using Arker.Testing.Local.Cache;
using Arker.Testing.Local.Files;
using Arker.Testing.Local.Sandbox;
using Arker.Testing.Local.Vms;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Arker.Testing.Local;

/// <summary>
/// A local Arker server: the Arker VM API served on this machine, with real sandboxes.
/// Start one in-process with <see cref="StartAsync"/>; dispose it to delete its VMs and leave no
/// mount, cgroup or process behind.
/// </summary>
/// <example>
/// <code>
/// await using var server = await LocalArkerServer.StartAsync();
/// // server.BaseUrl, server.ApiKey: give them to any Arker client.
/// </code>
/// </example>
public sealed class LocalArkerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly VmService _vms;
    private int _disposed;

    private LocalArkerServer(WebApplication app, VmService vms, Uri baseUrl, string apiKey)
    {
        _app = app;
        _vms = vms;
        BaseUrl = baseUrl;
        ApiKey = apiKey;
    }

    /// <summary>The origin the server listens on; both API generations are served below it.</summary>
    public Uri BaseUrl { get; }

    /// <summary>
    /// The base URL of the current Arker API (<c>{origin}/api</c>): what the current SDKs take as
    /// <c>ARKER_BASE_URL</c> and <c>ARKER_CONTROL_BASE_URL</c>, and this library's client by default.
    /// </summary>
    public Uri ApiBaseUrl => new(BaseUrl, ApiPipeline.V1Prefix);

    /// <summary>
    /// The base URL of the Arker API 0.1 (<c>{origin}/arker-0.1</c>), for its clients: the official
    /// 0.1 SDKs (as their base and their list host) and this library's client with
    /// <c>ArkerProtocol.V01</c>.
    /// </summary>
    public Uri V01BaseUrl => new(BaseUrl, ApiPipeline.V01Prefix);

    /// <summary>An API key the server accepts (the first configured, or a generated one).</summary>
    public string ApiKey { get; }

    /// <summary>How VMs are isolated on this machine, in one line.</summary>
    public string Isolation => _vms.Isolation;

    /// <summary>
    /// The public base names besides <c>arkuntu</c> and what each stands for on this server (an
    /// image, a root filesystem, or <c>arkuntu</c>): the defaults with the options' entries over them.
    /// </summary>
    public IReadOnlyDictionary<string, string> Images => _vms.Images;

    /// <summary>The base names, in one line: <c>ubuntu-base is docker.io/library/ubuntu:24.04; …</c>.</summary>
    internal string ImagesDescription => string.Join("; ", Images.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => $"{i.Key} is {i.Value}"));

    /// <summary>Starts a server, by default on 127.0.0.1 on a free port.</summary>
    /// <exception cref="SandboxUnavailableException">This machine cannot run sandboxes; the message says why and what to do.</exception>
    public static async Task<LocalArkerServer> StartAsync(LocalArkerServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalArkerServerOptions();
        if (options.ApiKeys.Count == 0)
        {
            options.ApiKeys["ark_local_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))] = "local";
        }

        // No configuration file is read, so none is watched: the host's default watches its content
        // root, the current folder, with an inotify watch for every folder below it (71,479 for a
        // server started in /tmp), and walks each new VM's folders when the data root is below it.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LocalArkerServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        options.ConfigureLogging?.Invoke(builder.Logging);

        builder.WebHost.UseUrls(options.Url.ToString());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = FileWrites.MaxFileBytes + (64 * 1024 * 1024);
            kestrel.AddServerHeader = false;
        });
        var app = builder.Build();
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Arker.Testing.Local");

        SandboxHost host = await SandboxHost.StartAsync(options, logger);
        VmService vms;
        try
        {
            vms = VmService.Start(host, OpenBaseCache(options, host, logger), options.TimeProvider, Names(options));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        try
        {
            var faults = new FaultInjector(options.FaultRate, options.FaultSeed);
            var signer = new PresignedUrlSigner(options.TimeProvider, options.PresignedUrlLifetime);
            var uploads = new UploadStore(host.UploadsDirectory, signer.Lifetime, options.TimeProvider);
            var pipeline = new ApiPipeline(logger, faults, new ApiKeyAuthenticator(options.ApiKeys), options.TimeProvider);
            app.Use(pipeline.InvokeAsync);
            app.MapGet("/healthz", (HttpContext context) => ApiResponses.WriteAsync(context, new HealthResponse(vms.Isolation), ApiJsonContext.Default.HealthResponse));
            // The current API reaches a VM's whole filesystem; the 0.1 API /home/user, as its contract says.
            var wholeMachine = VmPath.WholeMachine([]); // and, per VM, the host folders it sees (VmRecord.HostReadOnlyFolders)
            var writes = new FileWrites(uploads, signer, options.TimeProvider, wholeMachine);
            new PresignedTransfers(vms, writes, signer, wholeMachine).Map(app);

            // The current API where the service has it, {origin}/api; the 0.1 API at a base of its own.
            V1Api.Map(app, vms, new FileReads(signer, wholeMachine), writes, faults, options.DefaultRunTimeout, options.TimeProvider);
            V01Api.Map(app, vms, new FileReads(signer, VmPath.Home), new FileWrites(uploads, signer, options.TimeProvider, VmPath.Home), faults, options.DefaultRunTimeout);
            app.MapFallback((HttpContext context) => ApiPipeline.GenerationOf(context.Request.Path) == ApiGeneration.V01
                ? throw ApiFailure.NotImplemented($"the local Arker server does not implement {context.Request.Method} {context.Request.Path}")
                : throw ApiFailure.NotFound($"no such route: {context.Request.Method} {context.Request.Path}; the current Arker API is at {ApiPipeline.V1Prefix}, the 0.1 API at {ApiPipeline.V01Prefix}"));

            await app.StartAsync(cancellationToken);
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            logger.LogInformation("Local Arker server listening on {Address}; isolation: {Isolation}", address, vms.Isolation);
            var server = new LocalArkerServer(app, vms, new Uri(address), options.ApiKeys.Keys.First());
            logger.LogInformation(
                "Base names: arkuntu is {Base}; {Names} (an image is fetched and unpacked on the first fork by its name)",
                host.BaseDescription, server.ImagesDescription);
            return server;
        }
        catch
        {
            await vms.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>The base cache the options ask for, cleared first if they say so; null when it is off.</summary>
    /// <summary>The public base names and what each stands for: the defaults, with the options' entries over them.</summary>
    private static Dictionary<string, string> Names(LocalArkerServerOptions options)
    {
        var names = new Dictionary<string, string>(LocalArkerServerOptions.DefaultImages, StringComparer.Ordinal);
        foreach ((string name, string reference) in options.Images)
        {
            names[name] = reference;
        }

        names.Remove(VmService.BaseImageName); // arkuntu is always the server's own base
        return names;
    }

    private static BaseCache? OpenBaseCache(LocalArkerServerOptions options, SandboxHost host, ILogger logger)
    {
        if (!options.UseBaseCache)
        {
            return null;
        }

        var cache = new BaseCache(options.BaseCacheDirectory ?? LocalCacheFolder.Default(), BaseCache.Fingerprint(host.BaseIdentity), options.BaseCacheMaxBytes, options.TimeProvider, logger);
        if (options.ClearBaseCache && cache.Clear() is > 0 and int cleared)
        {
            logger.LogInformation("Cleared the base cache in {Directory}: {Count} stored base(s) removed", cache.Directory, cleared);
        }

        return cache;
    }

    /// <summary>
    /// Removes what servers that died without stopping (killed, say) left under
    /// <paramref name="dataRoot"/> (the default data root when null): their VMs' processes,
    /// mounts, cgroups and files. Running servers are untouched. Returns how many VMs were removed.
    /// A server does this itself when it starts; call it to clean up at once.
    /// </summary>
    public static Task<int> CleanUpAfterDeadServersAsync(string? dataRoot = null) => SandboxHost.CleanUpDeadInstancesAsync(dataRoot);

    /// <summary>Completes when the server has been asked to stop (SIGINT, SIGTERM, or dispose).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening, deletes every VM and removes the server's mounts, cgroups and files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Deleting the VMs ends runs still in flight, so stopping does not wait out their timeouts.
        Task stopping = _app.StopAsync();
        await _vms.DisposeAsync();
        await stopping;
        await _app.DisposeAsync();
    }
}
