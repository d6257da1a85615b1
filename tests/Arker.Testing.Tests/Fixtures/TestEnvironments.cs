using Arker.Testing.Fixtures;
using Arker.Testing.Local;

namespace Arker.Testing.Tests.Fixtures;

/// <summary>Environments for the tests of the fixtures: against a server the test controls, as the cloud would be.</summary>
internal static class TestEnvironments
{
    /// <summary>An environment that talks to <paramref name="server"/> with its key, like a run against the Arker cloud.</summary>
    /// <param name="keptBases">With <paramref name="reuse"/>: where the records of kept bases go (a test's own folder, never the user's cache).</param>
    public static Task<ArkerTestEnvironment> AgainstAsync(LocalArkerServer server, int poolSize = 0, int maxLiveVms = 64, bool reuse = false, bool keepFailed = false, string? keptBases = null) =>
        ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings
            {
                ApiKey = server.ApiKey, BaseUrl = server.ApiBaseUrl, PoolSize = poolSize, MaxLiveVms = maxLiveVms, KeepFailed = keepFailed,
                ReuseBases = reuse, KeptBasesRecordsDirectory = reuse ? keptBases ?? throw new ArgumentNullException(nameof(keptBases), "a test that reuses bases keeps their records in a folder of its own") : null,
            },
            cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>The names of the VMs on <paramref name="server"/> whose name contains <paramref name="text"/>.</summary>
    public static async Task<List<string>> NamesAsync(ArkerClient client, string text)
    {
        var names = new List<string>();
        await foreach (VmSummary vm in client.ListAllAsync(new ListOptions { Query = text }, TestContext.Current.CancellationToken))
        {
            names.Add(vm.Name ?? "");
        }

        return names;
    }
}
