using Arker.Testing.Client;
using Arker.Testing.Extensibility;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arker.Testing.Fixtures;

/// <summary>
/// Everything one test run shares: where VMs come from (the Arker cloud with an API key, else the
/// embedded local server, started on first use), the run's id that names every VM it makes, the
/// provisioned bases, and the limit on live VMs. Disposing it deletes every VM of the run.
/// </summary>
public sealed class ArkerTestEnvironment : IAsyncDisposable
{
    private readonly ArkerClient? _client;
    private readonly LocalBackendInstance? _server;
    private readonly string? _unavailable;
    private readonly RunVms _vms;
    private readonly BaseVmCache _bases;
    private readonly Lock _completionGate = new();
    private Task<ArkerRunSummary>? _completion;

    private ArkerTestEnvironment(ArkerTestingSettings settings, ArkerClient? client, LocalBackendInstance? server, string? unavailable, ILogger logger)
    {
        Settings = settings;
        _client = client;
        _server = server;
        _unavailable = unavailable;
        RunId = settings.MakeRunId();
        _vms = new RunVms(settings, RunId, client?.BaseUrl, isLocal: server is not null, logger);
        _bases = new BaseVmCache(_vms, () => Client);
    }

    /// <summary>The scope key of bases shared by the whole run (see <see cref="GetBaseAsync"/>, <see cref="ArkerVmScope.Run"/>).</summary>
    public const string RunScope = "run";

    /// <summary>The run's settings.</summary>
    public ArkerTestingSettings Settings { get; }

    /// <summary>Names every VM this run makes, so the run's clean-up (and people) can find them.</summary>
    public string RunId { get; }

    /// <summary>Whether VMs come from the embedded local server.</summary>
    public bool IsLocal => _server is not null;

    /// <summary>The client every VM of the run is made with.</summary>
    /// <exception cref="ArkerUnavailableException">No Arker can be reached; the message says what is missing.</exception>
    public ArkerClient Client => _client ?? throw new ArkerUnavailableException(_unavailable!, Settings.Require);

    /// <summary>Whether VMs can be had, and if not, why.</summary>
    public string? UnavailableReason => _unavailable;

    /// <summary>Why a test gets no VM, saying too when the run requires Arker (so the test must fail, not skip).</summary>
    public string? UnavailableMessage => _unavailable is null ? null
        : Settings.Require ? _unavailable + " (This run requires Arker: CI=true or ARKER_TESTING_REQUIRE=1.)"
        : _unavailable;

    /// <summary>
    /// The environment of this test process, made on first use with the settings given to
    /// <see cref="ConfigureShared"/> (else read from the environment), and completed by
    /// <see cref="CompleteSharedAsync"/> or when the process exits.
    /// </summary>
    public static Task<ArkerTestEnvironment> GetSharedAsync() => SharedEnvironment.GetAsync();

    /// <summary>Sets the settings the shared environment starts with (a test platform's command line, say).</summary>
    /// <exception cref="InvalidOperationException">The shared environment has already started.</exception>
    public static void ConfigureShared(ArkerTestingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        SharedEnvironment.Configure(settings);
    }

    /// <summary>
    /// Ends the shared environment, deleting its VMs (see <see cref="CompleteAsync"/>), and returns
    /// what the run did, or null when no test used it. A later <see cref="GetSharedAsync"/> starts a new one.
    /// </summary>
    public static Task<ArkerRunSummary?> CompleteSharedAsync() => SharedEnvironment.CompleteAsync();

    /// <summary>
    /// Cancels the run of the shared environment (Ctrl-C, say): its VMs are deleted now, which ends
    /// whatever runs in them on the server, and every later <see cref="GetSharedAsync"/> — so every
    /// test that has not got its VM yet — fails with an <see cref="OperationCanceledException"/>
    /// that says the run was cancelled, until <see cref="ConfigureShared"/> begins the next run (a
    /// test platform's next session). Returns what the run did, or null when no test used it.
    /// </summary>
    public static Task<ArkerRunSummary?> CancelSharedAsync() =>
        SharedEnvironment.CancelAsync("The test run was cancelled (Ctrl-C, or the test platform's cancellation): its Arker VMs are deleted and no test gets a new one.");

    /// <summary>
    /// Makes an environment: a client of the cloud (with an API key), else of a new instance of the
    /// embedded local server, else one that explains why neither works.
    /// </summary>
    public static Task<ArkerTestEnvironment> CreateAsync(ArkerTestingSettings settings, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default) =>
        CreateAsync(settings, loggerFactory, LocalBackends.Find(), cancellationToken);

    /// <summary>As above, with the local backend given (null: none).</summary>
    internal static async Task<ArkerTestEnvironment> CreateAsync(ArkerTestingSettings settings, ILoggerFactory? loggerFactory, LocalBackend? localBackend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ILogger logger = loggerFactory?.CreateLogger("Arker.Testing") ?? NullLogger.Instance;
        if (settings.ApiKey is { } apiKey)
        {
            var client = new ArkerClient(new ArkerClientOptions { ApiKey = apiKey, BaseUrl = settings.BaseUrl, GlobalUrl = settings.GlobalUrl, LoggerFactory = loggerFactory });
            return new ArkerTestEnvironment(settings, client, null, null, logger);
        }

        if (localBackend is null)
        {
            return Unavailable(LocalBackends.Missing);
        }

        try
        {
            LocalBackendInstance server = await localBackend.StartAsync(new LocalBackendOptions { DataRoot = settings.LocalDataRoot, BaseCache = settings.LocalBaseCache, BaseCacheDirectory = settings.LocalCacheDirectory, ClearBaseCache = settings.ClearLocalBaseCache, Images = settings.LocalImages }, cancellationToken);
            var client = new ArkerClient(new ArkerClientOptions { ApiKey = server.ApiKey, BaseUrl = server.BaseUrl, LoggerFactory = loggerFactory });
            logger.LogInformation("Started the local Arker server on {Url} ({Isolation})", server.BaseUrl, server.Isolation);
            return new ArkerTestEnvironment(settings, client, server, null, logger);
        }
        catch (LocalBackendUnavailableException ex)
        {
            return Unavailable(ex.Message);
        }

        ArkerTestEnvironment Unavailable(string why) => new(settings, null, null,
            $"No Arker VMs for these tests: ARKER_API_KEY is not set (for the Arker cloud), and the local Arker server cannot run here. {why}",
            logger);
    }

    /// <summary>
    /// The provisioned base of <paramref name="template"/> for <paramref name="scope"/> (a test
    /// class, or the whole run): provisioned on first use, then shared. A provisioning failure is
    /// kept and thrown to every caller. Cancelling <paramref name="cancellationToken"/> stops this
    /// caller's wait, not the provisioning, which other callers may be waiting for.
    /// </summary>
    public Task<BaseVm> GetBaseAsync(VmTemplate template, string scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(scope);
        return _bases.GetAsync(template, scope, cancellationToken);
    }

    /// <summary>
    /// Ends the run: deletes every VM of the run except those kept for failed tests (looking up by
    /// the run's id any that escaped the bookkeeping), stops the local server, and returns what the
    /// run did. Calling it again returns the same summary.
    /// </summary>
    public Task<ArkerRunSummary> CompleteAsync()
    {
        lock (_completionGate)
        {
            return _completion ??= CompleteCoreAsync();
        }
    }

    /// <summary>Ends the run as <see cref="CompleteAsync"/> does.</summary>
    public async ValueTask DisposeAsync() => await CompleteAsync();

    /// <summary>
    /// Deletes what a run that died left behind: with an API key, every VM named with
    /// <paramref name="runId"/>; on the embedded local server, everything of every server instance
    /// whose process is gone. Returns how many VMs were deleted.
    /// </summary>
    public static async Task<int> CleanUpAbandonedRunAsync(ArkerTestingSettings settings, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(runId);
        if (settings.ApiKey is { } apiKey)
        {
            using var client = new ArkerClient(new ArkerClientOptions { ApiKey = apiKey, BaseUrl = settings.BaseUrl, GlobalUrl = settings.GlobalUrl });
            return (await RunSweeper.DeleteAsync(client, runId, keep: _ => false, cancellationToken)).Count;
        }

        return LocalBackends.Find() is { } localBackend ? await localBackend.CleanUpAfterDeadInstancesAsync(settings.LocalDataRoot, cancellationToken) : 0;
    }

    private async Task<ArkerRunSummary> CompleteCoreAsync()
    {
        await _vms.EndAsync();
        await _bases.DisposeAllAsync();
        int leftBehind = _client is null ? 0 : await RunSweeper.DeleteLeftoversAsync(_client, _vms);

        ArkerRunSummary summary = _vms.Statistics.Summarize(RunId, _vms.KeptCount, leftBehind) with { UnavailableReason = _unavailable };
        _client?.Dispose();
        _vms.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync(); // deletes every VM it holds, kept ones too
        }

        return summary;
    }
}
