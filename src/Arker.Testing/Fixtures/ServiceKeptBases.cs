using Arker.Testing.Client;
using Arker.Testing.Inputs;

namespace Arker.Testing.Fixtures;

/// <summary>
/// Bases left on the Arker service by <c>ARKER_TESTING_REUSE=1</c>, found by name. The record of a
/// base's inputs is kept on this machine, one file per base (<see cref="ArkerTestingSettings.KeptBasesRecordsDirectory"/>):
/// a base with no record here (provisioned on another machine, say) is not reused, since nothing
/// says what it was provisioned from. Kept bases cost the service: a template keeps the newest
/// <see cref="KeptPerRecipe"/> of its recipe (one per state of its inputs, so switching between
/// branches reuses them), and an older one goes, on the service and here, when a new one is kept.
/// </summary>
internal sealed class ServiceKeptBases(RunVms vms, ArkerClient arker, string records) : IKeptBases
{
    private const int KeptPerRecipe = 3;

    public string Description => "the bases kept on the Arker service (ARKER_TESTING_REUSE)";

    public Task<IReadOnlyList<KeptBase>> FindAsync(string prefix, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(records))
        {
            return Task.FromResult<IReadOnlyList<KeptBase>>([]);
        }

        IReadOnlyList<KeptBase> found = [.. Directory.EnumerateFiles(records, prefix + "*.json")
            .Select(file => new KeptBase(Path.GetFileNameWithoutExtension(file), HostInputState.Parse(ReadOrNull(file)), File.GetLastWriteTimeUtc(file)))
            .OrderByDescending(kept => kept.CreatedAt)];
        return Task.FromResult(found);
    }

    public async Task<KeptBaseVm?> UseAsync(KeptBase kept, VmTemplate template, CancellationToken cancellationToken)
    {
        await foreach (VmSummary summary in arker.ListAllAsync(new ListOptions { Query = kept.Name }, cancellationToken))
        {
            if (summary.Name == kept.Name)
            {
                await vms.AdoptAsync(cancellationToken);
                return new KeptBaseVm(arker.Vm(summary.VmId), Owned: false);
            }
        }

        return null; // deleted on the service since
    }

    public async Task<KeptBaseVm> KeepAsync(Computer vm, string name, VmTemplate template, HostInputState inputs, CancellationToken cancellationToken)
    {
        // A base of this name with no record here (another machine's, or one whose run died before
        // its record) is replaced, never doubled. Only a complete base gets the kept name: a run
        // that dies while provisioning leaves nothing to reuse.
        await DeleteNamedAsync(name, cancellationToken);
        Computer complete = await vms.ForkAsync(vm, cancellationToken, name);
        await vms.DeleteAsync(vm);
        Directory.CreateDirectory(records);
        string record = Path.Combine(records, name + ".json");
        string partial = $"{record}.{Environment.ProcessId}.partial";
        await File.WriteAllTextAsync(partial, inputs.ToJson(), cancellationToken);
        File.Move(partial, record, overwrite: true);
        await ForgetAllButNewestAsync(name[..^inputs.Digest.Length], cancellationToken);
        return new KeptBaseVm(complete, Owned: false);
    }

    private async Task ForgetAllButNewestAsync(string prefix, CancellationToken cancellationToken)
    {
        foreach (KeptBase old in (await FindAsync(prefix, cancellationToken)).Skip(KeptPerRecipe))
        {
            await DeleteNamedAsync(old.Name, cancellationToken);
            File.Delete(Path.Combine(records, old.Name + ".json"));
        }
    }

    private async Task DeleteNamedAsync(string name, CancellationToken cancellationToken)
    {
        var named = new List<string>();
        await foreach (VmSummary summary in arker.ListAllAsync(new ListOptions { Query = name }, cancellationToken))
        {
            if (summary.Name == name)
            {
                named.Add(summary.VmId);
            }
        }

        foreach (string id in named)
        {
            await arker.Vm(id).TryDeleteAsync(cancellationToken);
        }
    }

    private static string? ReadOrNull(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
