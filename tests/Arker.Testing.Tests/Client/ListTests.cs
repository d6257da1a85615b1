using Arker.Testing.Local;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Client;

/// <summary>Runs on both API generations: see the two classes at the end.</summary>
public abstract class ListTests(LocalServer local, ArkerProtocol protocol)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListAsyncAndListAllAsync_Over250Vms_PageThroughEveryOne()
    {
        // A server of its own, so the count is exact.
        await using var server = await LocalArkerServer.StartAsync(cancellationToken: Cancellation);
        using ArkerClient arker = LocalServer.NewClient(server, protocol: protocol);
        Computer template = await arker.Vm("arkuntu").ForkAsync(new ForkOptions { Name = "paging-template" }, Cancellation);
        var created = new List<string>();
        for (int i = 0; i < 250; i++)
        {
            created.Add((await template.ForkAsync(new ForkOptions { Name = $"page-{i:000}" }, Cancellation)).Id);
        }

        VmList first = await arker.ListAsync(new ListOptions { Limit = 10, Query = "page-", Sort = "created_at" }, Cancellation);
        VmList third = await arker.ListAsync(new ListOptions { Limit = 10, Offset = 20, Query = "page-", Sort = "created_at" }, Cancellation);
        var all = new List<VmSummary>();
        await foreach (VmSummary vm in arker.ListAllAsync(new ListOptions { Query = "page-", Sort = "created_at" }, Cancellation))
        {
            all.Add(vm);
        }

        Assert.Equal(250, first.Total);
        Assert.Equal(created[..10], first.Items.Select(i => i.VmId));
        Assert.Equal(created[20..30], third.Items.Select(i => i.VmId));
        Assert.Equal(created, all.Select(i => i.VmId));
        Assert.All(all, vm => Assert.Equal(("arkuntu", "local"), (vm.BaseImage, vm.Region)));
        Assert.All(all, vm => Assert.True(DateTimeOffset.UtcNow - vm.CreatedAt < TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public async Task ListAsync_DefaultsToNewestFirst()
    {
        string tag = "newest-" + Guid.NewGuid().ToString("N")[..8];
        Computer older = await local.ClientFor(protocol).Vm("arkuntu").ForkAsync(new ForkOptions { Name = tag + "-a" }, Cancellation);
        Computer newer = await local.ClientFor(protocol).Vm("arkuntu").ForkAsync(new ForkOptions { Name = tag + "-b" }, Cancellation);

        VmList page = await local.ClientFor(protocol).ListAsync(new ListOptions { Query = tag }, Cancellation);

        Assert.Equal([newer.Id, older.Id], page.Items.Select(i => i.VmId));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task ListAsync_LimitOutOfRange_IsRefusedOnTheClient(int limit)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => local.ClientFor(protocol).ListAsync(new ListOptions { Limit = limit }, Cancellation));
    }

    [Fact]
    public async Task ListAsync_UnknownSort_IsRefused()
    {
        Task<VmList> listing = local.ClientFor(protocol).ListAsync(new ListOptions { Sort = "name" }, Cancellation);

        if (protocol == ArkerProtocol.V01)
        {
            var error = await Assert.ThrowsAsync<ArkerException>(() => listing);
            Assert.Equal(("bad_request", 400), (error.Code, error.Status)); // the 0.1 service sorts
        }
        else
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(() => listing);
            Assert.Contains("created_at, -created_at, region or -region", error.Message, StringComparison.Ordinal); // the client sorts
        }
    }
}

public sealed class ListTestsOnTheCurrentApi(LocalServer local) : ListTests(local, ArkerProtocol.Current);

public sealed class ListTestsOnApi01(LocalServer local) : ListTests(local, ArkerProtocol.V01);
