using System.Collections.Concurrent;
using Arker.Testing.Client;
using Arker.Testing.Inputs;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Fixtures;

/// <summary>
/// The run's provisioned bases, one per template and scope: provisioned on first use under the
/// run's lifetime, a failure kept for every caller. Where bases are kept across runs (the local
/// base cache, or <c>ARKER_TESTING_REUSE</c>), a kept base is reused only while its recipe (see
/// <see cref="VmTemplate.RecipeHash"/>) and everything its provisioning read from this machine
/// (<see cref="HostInputState"/>) are unchanged; otherwise the base is provisioned again and the
/// run summary says why.
/// </summary>
internal sealed class BaseVmCache(RunVms vms, Func<ArkerClient> client)
{
    private const int ChangesShown = 3;
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
            catch (Exception ex) when (ex is TemplateProvisioningException or ArkerException or OperationCanceledException)
            {
                // The tests that needed it failed with it already. Nothing was left behind by a failed
                // provisioning; a cancelled one is swept by the run's id.
            }
        }
    }

    private async Task<BaseVm> ProvisionAsync(VmTemplate template, CancellationToken cancellationToken)
    {
        ArkerClient arker = client();
        IKeptBases? kept = KeptBasesFor(template, arker);
        string prefix = $"arker-base-{template.Name}-{template.RecipeHash()}-";
        if (kept is not null)
        {
            (BaseVm? reused, string? why) = await ReuseAsync(kept, prefix, template, cancellationToken);
            if (reused is not null)
            {
                return reused;
            }

            if (why is not null)
            {
                vms.Statistics.ProvisionedAgain(template.Name, why);
                vms.Logger.LogInformation("Base of template {Template} is provisioned again, not taken from {Home}: {Why}", template.Name, kept.Description, why);
            }
        }

        long started = vms.Statistics.Now;
        HostInputState? declared = kept is null ? null : HostInputState.Read(template.HostInputs); // as they are before provisioning reads them
        Computer vm;
        try
        {
            vm = await vms.ForkAsync(arker, template.BaseImage, cancellationToken, $"{vms.RunId}-provisioning-{template.Name}");
        }
        catch (ArkerException ex)
        {
            throw new TemplateProvisioningException(template.Name, ex); // the base it starts from cannot be had: the message says why
        }

        bool owned = true;
        try
        {
            using (HostInputRecorder? recorder = kept is null ? null : HostInputRecorder.Begin()) // reading inputs costs: only when a base is kept
            {
                await template.ProvisionAsync(vm, cancellationToken);
                if (template.Network is { } network)
                {
                    await vm.SetNetworkPolicyAsync(network, cancellationToken); // forks start with it
                }

                if (kept is not null && declared is not null && recorder is not null)
                {
                    HostInputState inputs = HostInputState.Of([.. declared.Inputs, .. recorder.Inputs]);
                    (vm, owned) = await kept.KeepAsync(vm, prefix + inputs.Digest, template, inputs, cancellationToken);
                }
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
        return new BaseVm(vms, template, vm, owned, took);
    }

    /// <summary>Where this template's bases are kept across runs, if anywhere.</summary>
    private IKeptBases? KeptBasesFor(VmTemplate template, ArkerClient arker) =>
        template is BaseImageTemplate ? null // nothing to provision, nothing to keep
        : vms.Settings.ReuseBases ? new ServiceKeptBases(vms, arker, vms.Settings.KeptBasesRecordsDirectory ?? ArkerTestingSettings.DefaultKeptBasesRecordsDirectory())
        : vms.IsLocal && vms.Settings.LocalBaseCache ? new LocalCacheKeptBases(vms, arker)
        : null;

    /// <summary>
    /// The run's base from the newest kept base whose inputs are all as they were, or null with why
    /// none could be used (what changed since the newest; null when none was kept yet).
    /// </summary>
    private async Task<(BaseVm? Reused, string? Why)> ReuseAsync(IKeptBases kept, string prefix, VmTemplate template, CancellationToken cancellationToken)
    {
        IReadOnlyList<KeptBase> candidates = await kept.FindAsync(prefix, cancellationToken);
        string? why = null;
        foreach (KeptBase candidate in candidates)
        {
            if (candidate.Inputs is not { } then)
            {
                continue; // kept with no record of its inputs: nothing says it is current
            }

            IReadOnlyList<string> changes = then.ReadAgain().ChangesSince(then);
            if (changes.Count > 0)
            {
                why ??= changes.Count <= ChangesShown ? string.Join(", ", changes) : $"{string.Join(", ", changes.Take(ChangesShown))} and {changes.Count - ChangesShown} more changes";
                continue;
            }

            if (await kept.UseAsync(candidate, template, cancellationToken) is { } use)
            {
                if (kept is LocalCacheKeptBases)
                {
                    vms.Statistics.FromCache(template.Name);
                }

                vms.Logger.LogInformation("Base {Vm} of template {Template} came from {Home} ({Name}), not provisioned", use.Vm.Id, template.Name, kept.Description, candidate.Name);
                return (new BaseVm(vms, template, use.Vm, use.Owned, TimeSpan.Zero), null);
            }
        }

        return (null, why);
    }
}
