using Arker.Testing.Local;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// A local Arker server in this process that the test apps reach as if it were the Arker cloud
/// (through ARKER_API_KEY and ARKER_BASE_URL), so it outlives their test hosts and shows what
/// they left on it.
/// </summary>
internal sealed class ArkerCloudStandIn : IAsyncDisposable
{
    private readonly LocalArkerServer _server;

    private ArkerCloudStandIn(LocalArkerServer server)
    {
        _server = server;
        Client = new ArkerClient(new ArkerClientOptions { ApiKey = server.ApiKey, BaseUrl = server.V01BaseUrl });
    }

    public ArkerClient Client { get; }

    /// <summary>What a test app needs to use this server as its Arker.</summary>
    public Dictionary<string, string> Variables => new()
    {
        ["ARKER_API_KEY"] = _server.ApiKey,
        ["ARKER_BASE_URL"] = _server.V01BaseUrl.ToString(),
        ["ARKER_GLOBAL_URL"] = _server.V01BaseUrl.ToString(),
    };

    /// <summary>Starts the server; the service's base names stand for what they do on this machine (<c>ARKER_TESTING_LOCAL_IMAGES</c>), as the service has them.</summary>
    public static async Task<ArkerCloudStandIn> StartAsync()
    {
        var options = new LocalArkerServerOptions();
        foreach ((string name, string image) in Fixtures.ArkerTestingSettings.FromVariables(Environment.GetEnvironmentVariable).LocalImages)
        {
            options.Images[name] = image;
        }

        return new(await LocalArkerServer.StartAsync(options));
    }

    /// <summary>The VMs on the server whose name carries <paramref name="runId"/>.</summary>
    public async Task<List<VmSummary>> VmsOfRunAsync(string runId)
    {
        var vms = new List<VmSummary>();
        await foreach (VmSummary vm in Client.ListAllAsync(new ListOptions { Query = runId }))
        {
            if (vm.Name?.Contains(runId, StringComparison.Ordinal) == true)
            {
                vms.Add(vm);
            }
        }

        return vms;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _server.DisposeAsync();
    }
}
