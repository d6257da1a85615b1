using System.Collections.Concurrent;
using Arker.Testing.Client;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Fixtures;

/// <summary>
/// The run's provisioned bases, one per template and scope: provisioned on first use under the
/// run's lifetime, a failure kept for every caller, and — with reuse on — found again by the name
/// a complete base gets from its recipe.
/// </summary>
internal sealed class BaseVmCache(RunVms vms, Func<ArkerClient> client)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<BaseVm>>> _bases = new(StringComparer.Ordinal);

    /// <summary>The base of <paramref name="template"/> for <paramref name="scope"/>; cancelling stops this caller's wait only.</summary>
    public Task<BaseVm> GetAsync(VmTemplate template, string scope, CancellationToken cancellationToken)
    {
        string key = scope + "\n" + template.GetType().FullName + "\n" + template.BaseImage;
        return _bases.GetOrAdd(key, _ => new Lazy<Task<BaseVm>>(() => ProvisionAsync(template, vms.Lifetime))).Value.WaitAsync(cancellationToken);
    }

    /// <summary>Deletes every base the run provisioned (and their warm pools), keeping those for reuse.</summary>
    public async Task DisposeAllAsync()
    {
        foreach (Lazy<Task<BaseVm>> lazy in _bases.Values.Where(l => l.IsValueCreated))
        {
            try
            {
                await (await lazy.Value).DisposeAsync();
            }
            catch (Exception ex) when (ex is TemplateProvisioningException or OperationCanceledException)
            {
                // Nothing was left behind by a failed provisioning; a cancelled one is swept by the run's id.
            }
        }
    }

    private async Task<BaseVm> ProvisionAsync(VmTemplate template, CancellationToken cancellationToken)
    {
        ArkerClient arker = client();
        string reuseName = $"arker-base-{template.Name}-{template.RecipeHash()}";
        if (vms.Settings.ReuseBases && await FindByNameAsync(arker, reuseName, cancellationToken) is { } existing)
        {
            vms.Logger.LogInformation("Reusing base {Name} ({Vm}) of template {Template}", reuseName, existing.Id, template.Name);
            await vms.AdoptAsync(cancellationToken);
            return new BaseVm(vms, template, existing, owned: false, TimeSpan.Zero);
        }

        bool localCache = vms.IsLocal && vms.Settings.LocalBaseCache && template is not BaseImageTemplate;
        if (localCache && await FromLocalCacheAsync(arker, template, reuseName, cancellationToken) is { } cached)
        {
            return cached;
        }

        long started = vms.Statistics.Now;
        Computer vm = await vms.ForkAsync(arker.Vm(template.BaseImage), cancellationToken, $"{vms.RunId}-provisioning-{template.Name}");
        try
        {
            await template.ProvisionAsync(vm, cancellationToken);
            if (localCache)
            {
                await StoreInLocalCacheAsync(arker, vm, template, reuseName, cancellationToken);
            }
            if (template.Network is { } network)
            {
                await vm.SetNetworkPolicyAsync(network, cancellationToken); // forks start with it
            }
            if (vms.Settings.ReuseBases)
            {
                // Only a complete base gets the reusable name: a run that dies while provisioning leaves nothing to reuse.
                Computer complete = await vms.ForkAsync(vm, cancellationToken, reuseName);
                await vms.DeleteAsync(vm);
                vm = complete;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await vms.DeleteAsync(vm);
            throw new TemplateProvisioningException(template.Name, ex);
        }

        TimeSpan took = vms.Statistics.Since(started);
        vms.Statistics.Provisioned(took);
        vms.Logger.LogInformation("Provisioned base {Vm} of template {Template} in {Seconds:0.00} s", vm.Id, template.Name, took.TotalSeconds);
        return new BaseVm(vms, template, vm, owned: !vms.Settings.ReuseBases, took);
    }

    /// <summary>
    /// The run's base of <paramref name="template"/> forked from the embedded server's base cache,
    /// where an earlier run stored it under <paramref name="cachedName"/> (its name and recipe hash);
    /// null when it is not there. The fork is the run's own base, given the template's network.
    /// </summary>
    private async Task<BaseVm?> FromLocalCacheAsync(ArkerClient arker, VmTemplate template, string cachedName, CancellationToken cancellationToken)
    {
        Computer copy;
        try
        {
            copy = await vms.ForkAsync(arker.Vm(cachedName), cancellationToken, $"{vms.RunId}-base-{template.Name}");
        }
        catch (ArkerException ex) when (ex.Status == 404)
        {
            return null; // not cached yet, or its recipe changed
        }

        if (template.Network is { } network)
        {
            await copy.SetNetworkPolicyAsync(network, cancellationToken);
        }

        vms.Statistics.FromCache(template.Name);
        vms.Logger.LogInformation("Base {Vm} of template {Template} came from the local base cache ({Name}), not provisioned", copy.Id, template.Name, cachedName);
        return new BaseVm(vms, template, copy, owned: true, TimeSpan.Zero);
    }

    /// <summary>Stores a freshly provisioned base in the embedded server's base cache; a failure only costs the next run its provisioning.</summary>
    private async Task StoreInLocalCacheAsync(ArkerClient arker, Computer vm, VmTemplate template, string cachedName, CancellationToken cancellationToken)
    {
        try
        {
            await arker.StoreInLocalBaseCacheAsync(vm.Id, cachedName, template.RecipeHash(), cancellationToken);
            vms.Logger.LogInformation("Stored base {Vm} of template {Template} in the local base cache as {Name}", vm.Id, template.Name, cachedName);
        }
        catch (Exception ex) when (ex is ArkerException or NotSupportedException)
        {
            vms.Logger.LogWarning("Base {Vm} of template {Template} could not be stored in the local base cache, so the next run provisions it again: {Reason}", vm.Id, template.Name, ex.Message);
        }
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
}
