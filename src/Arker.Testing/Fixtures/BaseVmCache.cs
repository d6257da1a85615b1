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

        long started = vms.Statistics.Now;
        Computer vm = await vms.ForkAsync(arker.Vm(template.BaseImage), cancellationToken, $"{vms.RunId}-provisioning-{template.Name}");
        try
        {
            await template.ProvisionAsync(vm, cancellationToken);
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
