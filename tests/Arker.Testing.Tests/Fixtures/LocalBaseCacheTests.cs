using System.Diagnostics;
using Arker.Testing.Fixtures;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Fixtures;

/// <summary>
/// On the embedded local server a template's base is provisioned once and kept in the server's
/// base cache: a later run forks it from there while the recipe is unchanged, a changed
/// <see cref="VmTemplate.RecipeVersion"/> provisions again, and the setting turns it off.
/// </summary>
public sealed class LocalBaseCacheTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "arker-fixture-cache-" + Guid.NewGuid().ToString("N")[..8]);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>
    /// What the tests of what invalidates a kept base fork for <c>ubuntu-base</c>: this machine's
    /// userland. The cache's rules are the same for every root, and a kept base of an image is a
    /// copy of the image's whole tree; the first test keeps one of the image this run maps the name to.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string> OverThisMachine = new Dictionary<string, string> { ["ubuntu-base"] = "arkuntu" };

    [Fact]
    public async Task ASecondRun_ForksTheCachedBase_AChangedRecipeProvisionsAgain_OffAndClearProvisionAgain()
    {
        CachedToolTemplate.Version = "1";
        int before = CachedToolTemplate.Provisioned;

        (TimeSpan firstTook, ArkerRunSummary first) = await RunAsync(new ArkerTestingSettings { LocalImages = LocalServer.Images, LocalCacheDirectory = _cache }, "tool 1\n");
        (TimeSpan secondTook, ArkerRunSummary second) = await RunAsync(new ArkerTestingSettings { LocalImages = LocalServer.Images, LocalCacheDirectory = _cache }, "tool 1\n");
        int afterTwoRuns = CachedToolTemplate.Provisioned;
        CachedToolTemplate.Version = "2";
        (_, ArkerRunSummary changed) = await RunAsync(new ArkerTestingSettings { LocalImages = LocalServer.Images, LocalCacheDirectory = _cache }, "tool 2\n");
        (_, ArkerRunSummary off) = await RunAsync(new ArkerTestingSettings { LocalImages = LocalServer.Images, LocalCacheDirectory = _cache, LocalBaseCache = false }, "tool 2\n");
        (_, ArkerRunSummary cleared) = await RunAsync(new ArkerTestingSettings { LocalImages = LocalServer.Images, LocalCacheDirectory = _cache, ClearLocalBaseCache = true }, "tool 2\n");

        Assert.Equal(before + 1, afterTwoRuns); // the second run provisioned nothing
        Assert.True(firstTook > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, secondTook);
        Assert.Equal((1, 0), (first.BasesProvisioned, first.BasesFromCache));
        Assert.Equal((0, 1), (second.BasesProvisioned, second.BasesFromCache));
        Assert.Contains("1 base from the local base cache (CachedToolTemplate)", second.ToString(), StringComparison.Ordinal);
        Assert.Equal((1, 0), (changed.BasesProvisioned, changed.BasesFromCache));
        Assert.Equal((1, 0), (off.BasesProvisioned, off.BasesFromCache));
        Assert.Equal((1, 0), (cleared.BasesProvisioned, cleared.BasesFromCache));
        Assert.Equal(before + 4, CachedToolTemplate.Provisioned);
        Assert.Single(Directory.GetDirectories(Path.Combine(_cache, "bases"))); // cleared, then stored again
    }

    [Fact]
    public async Task TwoRunsStartedTogether_EachGetsAWholeBase_AndTheCacheKeepsOneEntry()
    {
        int before = SharedToolTemplate.Provisioned;
        var settings = new ArkerTestingSettings { LocalImages = OverThisMachine, LocalCacheDirectory = _cache };

        (TimeSpan, ArkerRunSummary)[] together = await Task.WhenAll(
            RunAsync(settings, "shared\n", () => new SharedToolTemplate()),
            RunAsync(settings, "shared\n", () => new SharedToolTemplate()));
        (_, ArkerRunSummary later) = await RunAsync(settings, "shared\n", () => new SharedToolTemplate());

        Assert.InRange(SharedToolTemplate.Provisioned - before, 1, 2); // each provisioned its own, or one found the other's
        Assert.Equal(2, together.Sum(run => run.Item2.BasesProvisioned + run.Item2.BasesFromCache));
        Assert.Equal((0, 1), (later.BasesProvisioned, later.BasesFromCache));
        string entry = Path.GetFileName(Assert.Single(Directory.GetDirectories(Path.Combine(_cache, "bases"))));
        string recipe = new SharedToolTemplate().RecipeHash();
        Assert.Matches($"^arker-base-SharedToolTemplate-{recipe}-[0-9a-f]{{12}}@{recipe}$", entry); // the recipe, then the digest of what provisioning read
    }

    [Fact]
    public async Task ASeededFileThatChanged_ProvisionsAgain_AndTheSummarySaysWhichFile()
    {
        string tools = Directory.CreateTempSubdirectory("arker-seeded-tool-").FullName;
        await File.WriteAllTextAsync(Path.Combine(tools, "tool"), "#!/bin/sh\necho usage: tool v1\n", Cancellation);
                var settings = new ArkerTestingSettings { LocalImages = OverThisMachine, LocalCacheDirectory = _cache };
        try
        {
            (_, ArkerRunSummary first) = await RunAsync(settings, "usage: tool v1\n", () => new SeededToolTemplate(tools));
            (_, ArkerRunSummary unchanged) = await RunAsync(settings, "usage: tool v1\n", () => new SeededToolTemplate(tools));
            await File.WriteAllTextAsync(Path.Combine(tools, "tool"), "#!/bin/sh\necho usage: tool v2\n", Cancellation);
            (_, ArkerRunSummary edited) = await RunAsync(settings, "usage: tool v2\n", () => new SeededToolTemplate(tools));
            (_, ArkerRunSummary again) = await RunAsync(settings, "usage: tool v2\n", () => new SeededToolTemplate(tools));
            await File.WriteAllTextAsync(Path.Combine(tools, "README"), "new file", Cancellation);
            (_, ArkerRunSummary added) = await RunAsync(settings, "usage: tool v2\n", () => new SeededToolTemplate(tools));

            Assert.Equal((1, 0, 0), (first.BasesProvisioned, first.BasesFromCache, first.ProvisionedAgain.Count)); // nothing kept yet: no reason to give
            Assert.Equal((0, 1), (unchanged.BasesProvisioned, unchanged.BasesFromCache));
            Assert.Equal((1, 0), (edited.BasesProvisioned, edited.BasesFromCache));
            Assert.Equal($"{Path.Combine(tools, "tool")} changed", edited.ProvisionedAgain["SeededToolTemplate"]);
            Assert.Contains($"1 base provisioned again (SeededToolTemplate: {Path.Combine(tools, "tool")} changed)", edited.ToString(), StringComparison.Ordinal);
            Assert.Equal((0, 1), (again.BasesProvisioned, again.BasesFromCache));
            Assert.Equal($"{Path.Combine(tools, "README")} added", added.ProvisionedAgain["SeededToolTemplate"]);
            Assert.Equal(3, SeededToolTemplate.ProvisionedFrom(tools));
        }
        finally
        {
            Directory.Delete(tools, recursive: true);
        }
    }

    [Fact]
    public async Task AnUploadedFileThatChanged_ProvisionsAgain()
    {
        string folder = Directory.CreateTempSubdirectory("arker-uploaded-tool-").FullName;
        string tool = Path.Combine(folder, "tool");
        await File.WriteAllTextAsync(tool, "#!/bin/sh\necho uploaded v1\n", Cancellation);
        var settings = new ArkerTestingSettings { LocalImages = OverThisMachine, LocalCacheDirectory = _cache };
        try
        {
            await RunAsync(settings, "uploaded v1\n", () => new UploadedToolTemplate(tool));
            (_, ArkerRunSummary unchanged) = await RunAsync(settings, "uploaded v1\n", () => new UploadedToolTemplate(tool));
            await File.WriteAllTextAsync(tool, "#!/bin/sh\necho uploaded v2\n", Cancellation);
            (_, ArkerRunSummary changed) = await RunAsync(settings, "uploaded v2\n", () => new UploadedToolTemplate(tool));

            Assert.Equal((0, 1), (unchanged.BasesProvisioned, unchanged.BasesFromCache));
            Assert.Equal($"{tool} changed", changed.ProvisionedAgain["UploadedToolTemplate"]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task AFileEditedWhileItsBaseWasProvisioned_ProvisionsAgain_NeverServesTheOldContent()
    {
        string folder = Directory.CreateTempSubdirectory("arker-edited-tool-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "tool"), "#!/bin/sh\necho v1\n", Cancellation);
        const string V2 = "#!/bin/sh\necho v2\n";
        var settings = new ArkerTestingSettings { LocalImages = OverThisMachine, LocalCacheDirectory = _cache };
        try
        {
            await RunAsync(settings, "v1\n", () => new EditedWhileProvisioningTemplate(folder, V2)); // the base holds v1; the folder says v2 by the end
            (_, ArkerRunSummary next) = await RunAsync(settings, "v2\n", () => new EditedWhileProvisioningTemplate(folder, V2));

            Assert.Equal((1, 0), (next.BasesProvisioned, next.BasesFromCache));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ADeclaredEnvironmentVariableThatChanged_ProvisionsAgain()
    {
        string tools = Directory.CreateTempSubdirectory("arker-seeded-tool-").FullName;
        await File.WriteAllTextAsync(Path.Combine(tools, "tool"), "#!/bin/sh\ncat ~/greeting\n", Cancellation);
        var settings = new ArkerTestingSettings { LocalImages = OverThisMachine, LocalCacheDirectory = _cache };
        string variable = "ARKER_TEST_GREETING_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        try
        {
            Environment.SetEnvironmentVariable(variable, "hello");
            await RunAsync(settings, "hello\n", () => new SeededToolTemplate(tools, variable));
            Environment.SetEnvironmentVariable(variable, "bonjour");
            (_, ArkerRunSummary changed) = await RunAsync(settings, "bonjour\n", () => new SeededToolTemplate(tools, variable));

            Assert.Equal((1, 0), (changed.BasesProvisioned, changed.BasesFromCache));
            Assert.Equal($"${variable} changed", changed.ProvisionedAgain["SeededToolTemplate"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            Directory.Delete(tools, recursive: true);
        }
    }

    [Fact]
    public void TheSettings_ComeFromTheEnvironment_OnByDefault()
    {
        static ArkerTestingSettings With(string? cache) => ArkerTestingSettings.FromVariables(n => n switch
        {
            "ARKER_TESTING_LOCAL_CACHE" => cache,
            "ARKER_TESTING_LOCAL_CACHE_DIR" => "/var/tmp/arker-cache",
            _ => null,
        });

        Assert.Equal((true, false, "/var/tmp/arker-cache"), (With(null).LocalBaseCache, With(null).ClearLocalBaseCache, With(null).LocalCacheDirectory));
        Assert.Equal((false, false), (With("0").LocalBaseCache, With("0").ClearLocalBaseCache));
        Assert.Equal((true, true), (With("clear").LocalBaseCache, With("clear").ClearLocalBaseCache));
        Assert.True(With("1").LocalBaseCache);
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            using Process remove = Process.Start("sh", ["-c", "chmod -R u+rwX \"$0\" && rm -rf \"$0\"", _cache])!; // VM folders may be read-only
            remove.WaitForExit();
        }
    }

    /// <summary>A run on the embedded server: its base of the template, one test's fork of it, what the tool there says.</summary>
    private static async Task<(TimeSpan Provisioning, ArkerRunSummary Summary)> RunAsync(ArkerTestingSettings settings, string expected, Func<VmTemplate>? template = null)
    {
        ArkerTestEnvironment run = await ArkerTestEnvironment.CreateAsync(settings with { PoolSize = 0 }, cancellationToken: Cancellation);
        BaseVm baseVm = await run.GetBaseAsync(template?.Invoke() ?? new CachedToolTemplate(), "cache", Cancellation);
        await using (VmLease lease = await baseVm.LeaseAsync("test", Cancellation))
        {
            Assert.Equal(expected, (await lease.Vm.RunAsync("tool", Cancellation)).StdoutText);
        }

        return (baseVm.ProvisioningTime, await run.CompleteAsync());
    }
}
