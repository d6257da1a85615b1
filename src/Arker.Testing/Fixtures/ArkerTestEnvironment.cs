using System.Collections.Concurrent;
using System.Diagnostics;
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
    private static readonly Lock SharedGate = new();
    private static Task<ArkerTestEnvironment>? _shared;
    private static ArkerTestingSettings? _sharedSettings;
    private static bool _completesAtExit;

    private readonly ArkerClient? _client;
    private readonly LocalBackendInstance? _server;
    private readonly string? _unavailable;
    private readonly SemaphoreSlim _liveVms;
    private readonly ConcurrentDictionary<string, Lazy<Task<BaseVm>>> _bases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _kept = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _deleting = new();
    private readonly Lock _completionGate = new();

    // Work shared by several tests (provisioning a base, say) runs under the run's lifetime, never
    // under the token of the test that happened to start it; each test stops waiting on its own.
    private readonly CancellationTokenSource _lifetime = new();
    private Task<ArkerRunSummary>? _completion;

    private ArkerTestEnvironment(ArkerTestingSettings settings, ArkerClient? client, LocalBackendInstance? server, string? unavailable, ILogger logger)
    {
        Settings = settings;
        _client = client;
        _server = server;
        _unavailable = unavailable;
        Logger = logger;
        _liveVms = new SemaphoreSlim(settings.MaxLiveVms, settings.MaxLiveVms);
        RunId = settings.MakeRunId();
    }

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

    internal ILogger Logger { get; }

    internal RunStatistics Statistics { get; } = new();

    /// <summary>Cancelled when the run ends: the token of work that outlives the test that started it.</summary>
    internal CancellationToken Lifetime => _lifetime.Token;

    /// <summary>
    /// The environment of this test process, made on first use with the settings given to
    /// <see cref="ConfigureShared"/> (else read from the environment), and completed by
    /// <see cref="CompleteSharedAsync"/> or when the process exits.
    /// </summary>
    public static Task<ArkerTestEnvironment> GetSharedAsync()
    {
        lock (SharedGate)
        {
            if (_shared is null)
            {
                _shared = CreateAsync(_sharedSettings ?? ArkerTestingSettings.FromEnvironment(), new TestOutputLoggerFactory()); // logs reach the running test's output
                if (!_completesAtExit)
                {
                    _completesAtExit = true;
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => CompleteSharedAsync().Wait(TimeSpan.FromSeconds(60));
                }
            }

            return _shared;
        }
    }

    /// <summary>Sets the settings the shared environment starts with (a test platform's command line, say).</summary>
    /// <exception cref="InvalidOperationException">The shared environment has already started.</exception>
    public static void ConfigureShared(ArkerTestingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        lock (SharedGate)
        {
            if (_shared is not null)
            {
                throw new InvalidOperationException("The shared Arker test environment has already started; configure it before the first test asks for a VM.");
            }

            _sharedSettings = settings;
        }
    }

    /// <summary>
    /// Ends the shared environment, deleting its VMs (see <see cref="CompleteAsync"/>), and returns
    /// what the run did, or null when no test used it. A later <see cref="GetSharedAsync"/> starts a new one.
    /// </summary>
    public static async Task<ArkerRunSummary?> CompleteSharedAsync()
    {
        Task<ArkerTestEnvironment>? shared;
        lock (SharedGate)
        {
            shared = _shared;
            _shared = null;
        }

        if (shared is null)
        {
            return null;
        }

        ArkerTestEnvironment environment;
        try
        {
            environment = await shared;
        }
        catch (Exception)
        {
            return null; // it never started, and the tests that asked for it saw why
        }

        return await environment.CompleteAsync();
    }

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
            LocalBackendInstance server = await localBackend.StartAsync(new LocalBackendOptions { DataRoot = settings.LocalDataRoot }, cancellationToken);
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
        string key = scope + "\n" + template.GetType().FullName + "\n" + template.BaseImage;
        return _bases.GetOrAdd(key, _ => new Lazy<Task<BaseVm>>(() => ProvisionAsync(template, Lifetime))).Value.WaitAsync(cancellationToken);
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
            return (await DeleteRunVmsAsync(client, runId, keep: _ => false, cancellationToken)).Count;
        }

        return LocalBackends.Find() is { } localBackend ? await localBackend.CleanUpAfterDeadInstancesAsync(settings.LocalDataRoot, cancellationToken) : 0;
    }

    internal async Task<Computer> ForkAsync(Computer from, CancellationToken cancellationToken, string? name = null)
    {
        await _liveVms.WaitAsync(cancellationToken);
        try
        {
            long started = Statistics.Now;
            Computer vm = await from.ForkAsync(new ForkOptions { Name = name ?? RunId }, cancellationToken);
            Statistics.Created(vm.Id, started);
            return vm;
        }
        catch
        {
            _liveVms.Release();
            throw;
        }
    }

    /// <summary>Deletes a VM without making the caller wait; the end of the run waits for it.</summary>
    internal void DeleteVmInBackground(Computer vm)
    {
        Task deletion = DeleteVmAsync(vm);
        _deleting[deletion] = 0;
        _ = deletion.ContinueWith(t => _deleting.TryRemove(t, out _), TaskScheduler.Default);
    }

    internal async Task DeleteVmAsync(Computer vm)
    {
        try
        {
            await vm.TryDeleteAsync();
            Statistics.Deleted(vm.Id);
        }
        catch (ArkerException ex)
        {
            Logger.LogWarning(ex, "Could not delete VM {Vm}; the run's clean-up will try again", vm.Id);
        }
        finally
        {
            _liveVms.Release();
        }
    }

    internal string DescribeKeptVm(Computer vm)
    {
        _kept[vm.Id] = 0;
        return IsLocal
            ? $"Kept VM {vm.Id} of the failed test (ARKER_TESTING_KEEP_FAILED=1); it lives on the local server at {Client.BaseUrl} until the test run ends."
            : $"Kept VM {vm.Id} of the failed test (ARKER_TESTING_KEEP_FAILED=1). Inspect it: curl -s -H \"authorization: Bearer $ARKER_API_KEY\" -d '{{\"command\":\"ls -la\"}}' {Client.BaseUrl}/api/v1/vms/{vm.Id}/run";
    }

    private async Task<BaseVm> ProvisionAsync(VmTemplate template, CancellationToken cancellationToken)
    {
        ArkerClient client = Client;
        string reuseName = $"arker-base-{template.Name}-{template.RecipeHash()}";
        if (Settings.ReuseBases && await FindByNameAsync(client, reuseName, cancellationToken) is { } existing)
        {
            Logger.LogInformation("Reusing base {Name} ({Vm}) of template {Template}", reuseName, existing.Id, template.Name);
            await _liveVms.WaitAsync(cancellationToken);
            return new BaseVm(this, template, existing, owned: false, TimeSpan.Zero);
        }

        var clock = Stopwatch.StartNew();
        Computer vm = await ForkAsync(client.Vm(template.BaseImage), cancellationToken, $"{RunId}-provisioning-{template.Name}");
        try
        {
            await template.ProvisionAsync(vm, cancellationToken);
            if (Settings.ReuseBases)
            {
                // Only a complete base gets the reusable name: a run that dies while provisioning leaves nothing to reuse.
                Computer complete = await ForkAsync(vm, cancellationToken, reuseName);
                await DeleteVmAsync(vm);
                vm = complete;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await DeleteVmAsync(vm);
            throw new TemplateProvisioningException(template.Name, ex);
        }

        Statistics.Provisioned(clock.Elapsed);
        Logger.LogInformation("Provisioned base {Vm} of template {Template} in {Seconds:0.00} s", vm.Id, template.Name, clock.Elapsed.TotalSeconds);
        return new BaseVm(this, template, vm, owned: !Settings.ReuseBases, clock.Elapsed);
    }

    private static async Task<Computer?> FindByNameAsync(ArkerClient client, string name, CancellationToken cancellationToken)
    {
        await foreach (VmSummary summary in client.ListAllAsync(new ListOptions { Query = name }, cancellationToken))
        {
            if (summary.Name == name)
            {
                return client.Vm(summary.VmId);
            }
        }

        return null;
    }

    private async Task<ArkerRunSummary> CompleteCoreAsync()
    {
        await _lifetime.CancelAsync();
        await Task.WhenAll(_deleting.Keys);
        foreach (Lazy<Task<BaseVm>> lazy in _bases.Values.Where(l => l.IsValueCreated))
        {
            try
            {
                await (await lazy.Value).DisposeAsync();
            }
            catch (Exception ex) when (ex is TemplateProvisioningException or OperationCanceledException)
            {
                // Nothing was left behind by a failed provisioning; a cancelled one is swept below by the run's id.
            }
        }

        int leftBehind = 0;
        if (_client is not null)
        {
            leftBehind = await DeleteLeftoversAsync(_client);
        }

        ArkerRunSummary summary = Statistics.Summarize(RunId, _kept.Count, leftBehind) with { UnavailableReason = _unavailable };
        _client?.Dispose();
        _lifetime.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync(); // deletes every VM it holds, kept ones too
        }

        return summary;
    }

    /// <summary>Deletes the run's VMs that are still there and not kept; returns how many remain after that.</summary>
    private async Task<int> DeleteLeftoversAsync(ArkerClient client)
    {
        try
        {
            foreach (string id in await DeleteRunVmsAsync(client, RunId, _kept.ContainsKey, CancellationToken.None))
            {
                Logger.LogWarning("VM {Vm} of the run was still there at its end; deleted it", id);
                Statistics.Deleted(id);
            }

            return (await ListRunVmsAsync(client, RunId, CancellationToken.None)).Count(id => !_kept.ContainsKey(id));
        }
        catch (ArkerException ex)
        {
            int unaccounted = Statistics.LiveVms.Count(id => !_kept.ContainsKey(id));
            Logger.LogWarning(ex, "Could not look up the run's VMs at its end; {Count} VM(s) may be left behind, named {RunId}", unaccounted, RunId);
            return unaccounted;
        }
    }

    /// <summary>Deletes the VMs named with <paramref name="runId"/> but those to <paramref name="keep"/>; returns the ids of those it deleted.</summary>
    private static async Task<List<string>> DeleteRunVmsAsync(ArkerClient client, string runId, Func<string, bool> keep, CancellationToken cancellationToken)
    {
        var deleted = new List<string>();
        foreach (string id in (await ListRunVmsAsync(client, runId, cancellationToken)).Where(id => !keep(id)))
        {
            if (await client.Vm(id).TryDeleteAsync(cancellationToken))
            {
                deleted.Add(id);
            }
        }

        return deleted;
    }

    private static async Task<List<string>> ListRunVmsAsync(ArkerClient client, string runId, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (VmSummary summary in client.ListAllAsync(new ListOptions { Query = runId }, cancellationToken))
        {
            if (summary.Name?.Contains(runId, StringComparison.Ordinal) == true)
            {
                ids.Add(summary.VmId);
            }
        }

        return ids;
    }
}
