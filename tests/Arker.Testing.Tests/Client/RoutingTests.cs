using Arker.Testing.Local;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Client;

/// <summary>Which host each call goes to, in each API generation.</summary>
public sealed class RoutingTests(LocalServer local)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api01_ForkByName_GoesToTheGlobalHost_ById_ToTheRegionalHost()
    {
        using var recorder = new RecordingHandler();
        var regional = local.Server.V01BaseUrl;
        var global = new UriBuilder(regional) { Host = "localhost" }.Uri;
        using ArkerClient arker = local.NewClient(protocol: ArkerProtocol.V01, configure: o =>
        {
            o.GlobalUrl = global;
            o.HttpMessageHandler = recorder;
        });
        Computer template = await arker.Vm("arkuntu").ForkAsync(new ForkOptions { Name = "routing-template-" + Guid.NewGuid().ToString("N") }, Cancellation);
        string name = (await arker.ListAsync(new ListOptions { Query = "routing-template-" }, Cancellation)).Items.First(i => i.VmId == template.Id).Name!;

        Computer byName = await arker.Vm(name).ForkAsync(cancellationToken: Cancellation);

        Assert.NotEqual(template.Id, byName.Id);
        var requests = recorder.Requests.ToArray();
        string basePath = regional.AbsolutePath.TrimEnd('/'); // the server's 0.1 base: /arker-0.1
        Assert.Equal($"{basePath}/api/v1/vms/{VmIdOf("arkuntu")}/fork", requests[0].Uri.AbsolutePath);
        Assert.Equal("127.0.0.1", requests[0].Uri.Host);
        Assert.Equal("localhost", requests[1].Uri.Host);
        Assert.Equal($"{basePath}/api/v1/vms/list", requests[1].Uri.AbsolutePath);
        Assert.Equal(("localhost", $"{basePath}/api/v1/vms/fork"), (requests[2].Uri.Host, requests[2].Uri.AbsolutePath));
        Assert.All(requests, r => Assert.True(r.HasAuthorization));
    }

    [Fact]
    public async Task Current_AListedVm_IsCalledOnItsOwnPlacementsHost_NotTheComputeBase()
    {
        // The VM lives on the fixture's server, which is also the control plane; the client's compute
        // base is a second server, which has never heard of it.
        await using LocalArkerServer elsewhere = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { ApiKeys = { [local.Server.ApiKey] = "local" } }, Cancellation);
        string name = "placed-" + Guid.NewGuid().ToString("N");
        Computer made = await local.Client.Vm("arkuntu").ForkAsync(new ForkOptions { Name = name }, Cancellation);
        using var recorder = new RecordingHandler();
        using var arker = new ArkerClient(new ArkerClientOptions
        {
            ApiKey = local.Server.ApiKey,
            BaseUrl = elsewhere.ApiBaseUrl,
            GlobalUrl = local.Server.ApiBaseUrl,
            HttpMessageHandler = recorder,
        });
        var beforeListing = await Assert.ThrowsAsync<ArkerException>(() => arker.Vm(made.Id).RunAsync("true", Cancellation));

        VmSummary listed = (await arker.ListAsync(new ListOptions { Query = name }, Cancellation)).Items.Single();
        RunResult run = await arker.Vm(listed.VmId).RunAsync("echo here", Cancellation);

        Assert.Equal(("not_found", 404), (beforeListing.Code, beforeListing.Status));
        Assert.Equal("here\n", run.StdoutText);
        Assert.Equal(local.Server.ApiBaseUrl.Authority, recorder.Requests.Last().Uri.Authority);
        Assert.Contains(recorder.Requests, r => r.Uri.AbsolutePath == "/api/v1/regions");
    }

    private static string VmIdOf(string alias) => alias == "arkuntu" ? "01KQBYKEV5WJ7YB010603T1DCT_d8c0" : alias;
}
