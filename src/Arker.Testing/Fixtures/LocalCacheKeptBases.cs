using Arker.Testing.Client;
using Arker.Testing.Inputs;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Fixtures;

/// <summary>
/// Bases kept in the embedded local server's base cache, which keeps the record of their inputs
/// with each entry. A kept base is forked into a base of the run's own, given the template's network.
/// </summary>
internal sealed class LocalCacheKeptBases(RunVms vms, ArkerClient arker) : IKeptBases
{
    public string Description => "the local base cache";

    public async Task<IReadOnlyList<KeptBase>> FindAsync(string prefix, CancellationToken cancellationToken) =>
        [.. (await arker.ListLocalBaseCacheAsync(cancellationToken))
            .Where(cached => cached.Name?.StartsWith(prefix, StringComparison.Ordinal) == true)
            .Select(cached => new KeptBase(cached.Name!, HostInputState.Parse(cached.Inputs), cached.CreatedAt ?? DateTimeOffset.MinValue))
            .OrderByDescending(kept => kept.CreatedAt)];

    public async Task<KeptBaseVm?> UseAsync(KeptBase kept, VmTemplate template, CancellationToken cancellationToken)
    {
        Computer copy;
        try
        {
            copy = await vms.ForkAsync(arker.Vm(kept.Name), cancellationToken, $"{vms.RunId}-base-{template.Name}");
        }
        catch (ArkerException ex) when (ex.Status == 404)
        {
            return null; // evicted since it was listed
        }

        if (template.Network is { } network)
        {
            await copy.SetNetworkPolicyAsync(network, cancellationToken);
        }

        return new KeptBaseVm(copy, Owned: true);
    }

    public async Task<KeptBaseVm> KeepAsync(Computer vm, string name, VmTemplate template, HostInputState inputs, CancellationToken cancellationToken)
    {
        try
        {
            await arker.StoreInLocalBaseCacheAsync(vm.Id, name, template.RecipeHash(), inputs.ToJson(), cancellationToken);
            vms.Logger.LogInformation("Stored base {Vm} of template {Template} in the local base cache as {Name}", vm.Id, template.Name, name);
        }
        catch (Exception ex) when (ex is ArkerException or NotSupportedException)
        {
            vms.Logger.LogWarning("Base {Vm} of template {Template} could not be stored in the local base cache, so the next run provisions it again: {Reason}", vm.Id, template.Name, ex.Message);
        }

        return new KeptBaseVm(vm, Owned: true);
    }
}
