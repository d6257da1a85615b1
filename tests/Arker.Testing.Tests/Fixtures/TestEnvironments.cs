using Arker.Testing.Fixtures;
using Arker.Testing.Local;

namespace Arker.Testing.Tests.Fixtures;

/// <summary>Environments for the tests of the fixtures: against a server the test controls, as the cloud would be.</summary>
internal static class TestEnvironments
{
    /// <summary>An environment that talks to <paramref name="server"/> with its key, like a run against the Arker cloud.</summary>
    public static Task<ArkerTestEnvironment> AgainstAsync(LocalArkerServer server, int poolSize = 0, int maxLiveVms = 64, bool reuse = false, bool keepFailed = false) =>
        ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings { ApiKey = server.ApiKey, BaseUrl = server.ApiBaseUrl, PoolSize = poolSize, MaxLiveVms = maxLiveVms, ReuseBases = reuse, KeepFailed = keepFailed },
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
