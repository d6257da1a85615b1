using Arker.Testing.Client;
using Arker.Testing.Snapshots;

namespace Arker.Testing.Fixtures;

/// <summary>A provisioned base VM of a template, and its warm pool of forks.</summary>
public sealed class BaseVm : IDirectoryListings, IAsyncDisposable
{
    private readonly RunVms _vms;
    private readonly ForkPool _pool;
    private readonly bool _owned;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<string>>> _listings = new(StringComparer.Ordinal);
    private readonly Lazy<Task<VmLease>> _shared;

    internal BaseVm(RunVms vms, VmTemplate template, Computer vm, bool owned, TimeSpan provisioningTime)
    {
        _vms = vms;
        Template = template;
        Vm = vm;
        _owned = owned;
        ProvisioningTime = provisioningTime;
        _pool = new ForkPool(vms, vm, vms.Settings.PoolSize);
        _shared = new(() => LeaseAsync($"the tests that share a VM of {template.Name}", vms.Lifetime));
    }

    /// <summary>The template this base was provisioned from.</summary>
    public VmTemplate Template { get; }

    /// <summary>The base VM itself. Tests get forks of it, never it.</summary>
    public Computer Vm { get; }

    /// <summary>How long provisioning took (zero for a base reused from an earlier run).</summary>
    public TimeSpan ProvisioningTime { get; }

    /// <summary>A fork of the base for one test; release it when the test ends.</summary>
    public async Task<VmLease> LeaseAsync(string testName, CancellationToken cancellationToken = default)
    {
        long asked = _vms.Statistics.Now;
        Computer fork = await _pool.TakeAsync(cancellationToken);
        fork.Evidence = new VmEvidence(Template.AttachOnFailure, TimeProvider.System); // from here on, what the test does in it
        _vms.Statistics.Leased(_vms.Statistics.Since(asked));
        return new VmLease(_vms, fork, testName);
    }

    /// <summary>
    /// The base's files below <paramref name="directory"/> (path, size, hash), read once through a
    /// throwaway fork, so the base itself never runs a command while tests fork it. Cancelling
    /// <paramref name="cancellationToken"/> stops this caller's wait, not the listing others share.
    /// </summary>
    public Task<string> ListingAsync(string directory, CancellationToken cancellationToken = default) =>
        _listings.GetOrAdd(directory, _ => new Lazy<Task<string>>(async () =>
        {
            Computer probe = await _vms.ForkAsync(Vm, _vms.Lifetime);
            try
            {
                return await ComputerSnapshots.ListAsync(probe, directory, _vms.Lifetime);
            }
            finally
            {
                _vms.DeleteInBackground(probe);
            }
        })).Value.WaitAsync(cancellationToken);

    /// <summary>
    /// The one fork of the base that the tests sharing a VM use (<see cref="ArkerVmAttribute.ShareVm"/>):
    /// made for the first of them, deleted with the base at the end of the run, never released by a test.
    /// </summary>
    public Task<VmLease> SharedLeaseAsync(CancellationToken cancellationToken = default) => _shared.Value.WaitAsync(cancellationToken);

    /// <summary>Deletes the shared fork and the pool's forks and, unless it is kept for reuse, the base.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_shared.IsValueCreated && _shared.Value.IsCompletedSuccessfully)
        {
            await _vms.DeleteAsync(_shared.Value.Result.Vm);
        }

        await _pool.DisposeAsync();
        if (_owned)
        {
            await _vms.DeleteAsync(Vm);
        }
    }
}
