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

    internal BaseVm(RunVms vms, VmTemplate template, Computer vm, bool owned, TimeSpan provisioningTime)
    {
        _vms = vms;
        Template = template;
        Vm = vm;
        _owned = owned;
        ProvisioningTime = provisioningTime;
        _pool = new ForkPool(vms, vm, vms.Settings.PoolSize);
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
        Computer fork = await _pool.TakeAsync(cancellationToken);
        _vms.Statistics.Leased();
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

    /// <summary>Deletes the pool's forks and, unless it is kept for reuse, the base.</summary>
    public async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync();
        if (_owned)
        {
            await _vms.DeleteAsync(Vm);
        }
    }
}
