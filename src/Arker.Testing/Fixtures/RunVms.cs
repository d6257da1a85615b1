using System.Collections.Concurrent;
using Arker.Testing.Client;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Fixtures;

/// <summary>
/// The run's VMs as they come and go: the limit on live VMs, forks named with the run's id,
/// deletions in the background (the end of the run waits for them), the VMs kept for failed tests,
/// and the run's lifetime, under which work shared by several tests runs.
/// </summary>
internal sealed class RunVms : IDisposable
{
    private readonly SemaphoreSlim _live;
    private readonly ConcurrentDictionary<string, byte> _kept = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _deleting = new();

    // Work shared by several tests (provisioning a base, say) runs under the run's lifetime, never
    // under the token of the test that happened to start it; each test stops waiting on its own.
    private readonly CancellationTokenSource _lifetime = new();

    private readonly Uri? _apiBaseUrl;

    public RunVms(ArkerTestingSettings settings, string runId, Uri? apiBaseUrl, bool isLocal, ILogger logger)
    {
        Settings = settings;
        RunId = runId;
        _apiBaseUrl = apiBaseUrl;
        IsLocal = isLocal;
        Logger = logger;
        _live = new SemaphoreSlim(settings.MaxLiveVms, settings.MaxLiveVms);
    }

    public ArkerTestingSettings Settings { get; }

    public string RunId { get; }

    public bool IsLocal { get; }

    public ILogger Logger { get; }

    public RunStatistics Statistics { get; } = new();

    /// <summary>Cancelled when the run ends: the token of work that outlives the test that started it.</summary>
    public CancellationToken Lifetime => _lifetime.Token;

    public int KeptCount => _kept.Count;

    public bool IsKept(string vmId) => _kept.ContainsKey(vmId);

    /// <summary>Forks <paramref name="from"/> once a live-VM slot is free, naming the fork with the run's id (or <paramref name="name"/>).</summary>
    public Task<Computer> ForkAsync(Computer from, CancellationToken cancellationToken, string? name = null) =>
        ForkInSlotAsync(from.ForkAsync, name, cancellationToken);

    /// <summary>
    /// Forks the base a template or test names, <paramref name="baseImage"/>: a VM or base name, or
    /// an OCI image reference (see <see cref="ImageReference"/>), as <see cref="ForkAsync(Computer, CancellationToken, string?)"/> does.
    /// </summary>
    public Task<Computer> ForkAsync(ArkerClient arker, string baseImage, CancellationToken cancellationToken, string? name = null) =>
        ImageReference.IsImage(baseImage)
            ? ForkInSlotAsync((options, token) => arker.ForkImageAsync(baseImage, options, token), name, cancellationToken)
            : ForkAsync(arker.Vm(baseImage), cancellationToken, name);

    private async Task<Computer> ForkInSlotAsync(Func<ForkOptions, CancellationToken, Task<Computer>> fork, string? name, CancellationToken cancellationToken)
    {
        await _live.WaitAsync(cancellationToken);
        try
        {
            long started = Statistics.Now;
            Computer vm = await fork(new ForkOptions { Name = name ?? RunId }, cancellationToken);
            Statistics.Created(vm.Id, started);
            return vm;
        }
        catch
        {
            _live.Release();
            throw;
        }
    }

    /// <summary>Takes a live-VM slot for a VM the run did not make (a base reused from an earlier run).</summary>
    public Task AdoptAsync(CancellationToken cancellationToken) => _live.WaitAsync(cancellationToken);

    /// <summary>Deletes a VM without making the caller wait; the end of the run waits for it.</summary>
    public void DeleteInBackground(Computer vm)
    {
        Task deletion = DeleteAsync(vm);
        _deleting[deletion] = 0;
        _ = deletion.ContinueWith(t => _deleting.TryRemove(t, out _), TaskScheduler.Default);
    }

    public async Task DeleteAsync(Computer vm)
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
            _live.Release();
        }
    }

    /// <summary>Keeps a failed test's VM until the end of the run; returns the line that tells the test's output where it is.</summary>
    public string Keep(Computer vm)
    {
        Uri? baseUrl = _apiBaseUrl;
        _kept[vm.Id] = 0;
        return IsLocal
            ? $"Kept VM {vm.Id} of the failed test (ARKER_TESTING_KEEP_FAILED=1); it lives on the local server at {baseUrl} until the test run ends."
            : $"Kept VM {vm.Id} of the failed test (ARKER_TESTING_KEEP_FAILED=1). Inspect it: {vm.CurlCommandThatRuns("ls -la")}";
    }

    /// <summary>Ends the run's lifetime and waits for the deletions still under way.</summary>
    public async Task EndAsync()
    {
        await _lifetime.CancelAsync();
        await Task.WhenAll(_deleting.Keys);
    }

    public void Dispose()
    {
        _lifetime.Dispose();
        _live.Dispose();
    }
}
