using Arker.Testing.Client;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Fixtures;

/// <summary>Finds and deletes a run's VMs by its id (every VM a run makes carries it in its name): at the end of a run, and after a run that died.</summary>
internal static class RunSweeper
{
    /// <summary>Deletes the VMs named with <paramref name="runId"/> but those to <paramref name="keep"/>; returns the ids of those it deleted.</summary>
    public static async Task<List<string>> DeleteAsync(ArkerClient client, string runId, Func<string, bool> keep, CancellationToken cancellationToken)
    {
        var deleted = new List<string>();
        foreach (string id in (await ListAsync(client, runId, cancellationToken)).Where(id => !keep(id)))
        {
            if (await client.Vm(id).TryDeleteAsync(cancellationToken))
            {
                deleted.Add(id);
            }
        }

        return deleted;
    }

    /// <summary>The ids of the VMs named with <paramref name="runId"/>.</summary>
    public static async Task<List<string>> ListAsync(ArkerClient client, string runId, CancellationToken cancellationToken)
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

    /// <summary>At the end of a run: deletes its VMs that are still there and not kept; returns how many remain after that.</summary>
    public static async Task<int> DeleteLeftoversAsync(ArkerClient client, RunVms vms)
    {
        try
        {
            foreach (string id in await DeleteAsync(client, vms.RunId, vms.IsKept, CancellationToken.None))
            {
                vms.Logger.LogWarning("VM {Vm} of the run was still there at its end; deleted it", id);
                vms.Statistics.Deleted(id);
            }

            return (await ListAsync(client, vms.RunId, CancellationToken.None)).Count(id => !vms.IsKept(id));
        }
        catch (ArkerException ex)
        {
            int unaccounted = vms.Statistics.LiveVms.Count(id => !vms.IsKept(id));
            vms.Logger.LogWarning(ex, "Could not look up the run's VMs at its end; {Count} VM(s) may be left behind, named {RunId}", unaccounted, vms.RunId);
            return unaccounted;
        }
    }
}
