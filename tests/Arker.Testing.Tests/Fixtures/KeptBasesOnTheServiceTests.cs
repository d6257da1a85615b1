using Arker.Testing.Fixtures;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Fixtures;

/// <summary>
/// <c>ARKER_TESTING_REUSE=1</c> against a server played as the Arker service: a complete base is
/// left there by name and a later run reuses it, while everything its provisioning read from this
/// machine is unchanged (the record of it is kept on this machine, beside no one else's).
/// </summary>
public sealed class KeptBasesOnTheServiceTests(LocalServer local) : IDisposable
{
    private readonly string _records = Directory.CreateTempSubdirectory("arker-kept-bases-").FullName;
    private readonly string _tools = Directory.CreateTempSubdirectory("arker-seeded-tool-").FullName;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ALaterRunReusesTheProvisionedBase_AndNoRunDeletesIt()
    {
        int before = ReusableTemplate.Provisioned;
        string baseId;
        await using (ArkerTestEnvironment firstRun = await TestEnvironments.AgainstAsync(local.Server, reuse: true, keptBases: _records))
        {
            baseId = (await firstRun.GetBaseAsync(new ReusableTemplate(), "reuse", Cancellation)).Vm.Id;
        }

        await using ArkerTestEnvironment secondRun = await TestEnvironments.AgainstAsync(local.Server, reuse: true, keptBases: _records);
        BaseVm reused = await secondRun.GetBaseAsync(new ReusableTemplate(), "reuse", Cancellation);
        await using VmLease lease = await reused.LeaseAsync("reused", Cancellation);

        Assert.Equal(before + 1, ReusableTemplate.Provisioned);
        Assert.Equal(baseId, reused.Vm.Id);
        Assert.Equal(TimeSpan.Zero, reused.ProvisioningTime);
        Assert.Equal("made once\n", await lease.Vm.Sync.ReadFileTextAsync("/home/user/reused.txt", Cancellation));
        string kept = Assert.Single(await TestEnvironments.NamesAsync(local.Client, $"arker-base-ReusableTemplate-{new ReusableTemplate().RecipeHash()}-"));
        Assert.True(File.Exists(Path.Combine(_records, kept + ".json")));
    }

    [Fact]
    public async Task ASeededFileThatChanged_ProvisionsAgain_AndABaseWithNoRecordHereIsNotReused()
    {
        await File.WriteAllTextAsync(Path.Combine(_tools, "tool"), "#!/bin/sh\necho v1\n", Cancellation);
        
        await RunAsync("v1\n");
        await File.WriteAllTextAsync(Path.Combine(_tools, "tool"), "#!/bin/sh\necho v2\n", Cancellation);
        ArkerRunSummary edited = await RunAsync("v2\n");
        ArkerRunSummary unchanged = await RunAsync("v2\n");
        Array.ForEach(Directory.GetFiles(_records), File.Delete); // as on another machine
        ArkerRunSummary elsewhere = await RunAsync("v2\n");

        Assert.Equal((1, $"{Path.Combine(_tools, "tool")} changed"), (edited.BasesProvisioned, edited.ProvisionedAgain["SeededToolTemplate"]));
        Assert.Equal(0, unchanged.BasesProvisioned);
        Assert.Equal(1, elsewhere.BasesProvisioned);
        Assert.Equal(3, SeededToolTemplate.ProvisionedFrom(_tools));
    }

    [Fact]
    public async Task ATemplateKeepsItsNewestThreeBases_AndABaseKeptAgainIsNeverDoubled()
    {
        var ours = new List<string>(); // this test's bases, by version (its folder is in their digests)
        for (int version = 1; version <= 5; version++)
        {
            await File.WriteAllTextAsync(Path.Combine(_tools, "tool"), $"#!/bin/sh\necho v{version}\n", Cancellation);
            await RunAsync($"v{version}\n");
            ours.Add(Directory.GetFiles(_records).Select(Path.GetFileNameWithoutExtension).Except(ours).Single()!);
        }

        Array.ForEach(Directory.GetFiles(_records), File.Delete); // as on another machine: v5's base is provisioned and kept again
        await RunAsync("v5\n");
        List<string> onTheService = await TestEnvironments.NamesAsync(local.Client, $"arker-base-SeededToolTemplate-{new SeededToolTemplate(_tools).RecipeHash()}-");

        Assert.Equal(ours[2..], onTheService.Where(ours.Contains).OrderBy(ours.IndexOf));
    }

    public void Dispose()
    {
        Directory.Delete(_records, recursive: true);
        Directory.Delete(_tools, recursive: true);
    }

    private async Task<ArkerRunSummary> RunAsync(string expected)
    {
        ArkerTestEnvironment run = await TestEnvironments.AgainstAsync(local.Server, reuse: true, keptBases: _records);
        BaseVm baseVm = await run.GetBaseAsync(new SeededToolTemplate(_tools), "reuse", Cancellation);
        await using (VmLease lease = await baseVm.LeaseAsync("test", Cancellation))
        {
            Assert.Equal(expected, (await lease.Vm.RunAsync("tool", Cancellation)).StdoutText);
        }

        return await run.CompleteAsync();
    }
}
