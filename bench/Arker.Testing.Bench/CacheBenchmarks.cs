using System.Diagnostics;
using Arker.Testing.Assertions;
using Arker.Testing.Client;
using Arker.Testing.Fixtures;

namespace Arker.Testing.Bench;

/// <summary>
/// The embedded local server's base cache: two runs of a suite whose template provisions for 10 s,
/// on a cache of their own. How soon each run's first test has its VM, and what a test's fork
/// costs from a base made in the run against one forked from the cache.
/// </summary>
internal static class CacheBenchmarks
{
    private const int Forks = 60;

    public static async Task RunAsync(Report report)
    {
        string cache = Path.Combine(Path.GetTempPath(), "arker-bench-cache-" + Environment.ProcessId);
        var settings = new ArkerTestingSettings { LocalCacheDirectory = cache, PoolSize = 0 };
        try
        {
            (TimeSpan firstRun, Samples madeInRun) = await RunOnceAsync(settings);
            (TimeSpan secondRun, Samples fromCache) = await RunOnceAsync(settings);

            report.Section("Base cache (embedded server; a template that provisions for 10 s; two runs on one cache)");
            report.Value("first run: from its start to its first test's VM (provisions, stores)", $"{firstRun.TotalSeconds:0.00} s");
            report.Value("second run: from its start to its first test's VM (server start, fork from the cache; target ≤ 1 s)", $"**{secondRun.TotalSeconds:0.00} s**");
            report.Row("a test's fork of a base made in the run", madeInRun, "ms");
            report.Row("a test's fork of a base from the cache", fromCache, "ms");
            report.Ratio("fork from the cached base ÷ from a base made in the run (p50; target ≤ 1.5×)", fromCache.P50 / madeInRun.P50);
        }
        finally
        {
            using Process remove = Process.Start("sh", ["-c", "chmod -R u+rwX \"$0\" 2>/dev/null; rm -rf \"$0\"", cache])!;
            await remove.WaitForExitAsync();
        }
    }

    /// <summary>One run: from its start until its first test holds its VM, then a test's fork, again and again.</summary>
    private static async Task<(TimeSpan FirstTest, Samples Forks)> RunOnceAsync(ArkerTestingSettings settings)
    {
        long started = Stopwatch.GetTimestamp();
        await using ArkerTestEnvironment run = await ArkerTestEnvironment.CreateAsync(settings);
        BaseVm baseVm = await run.GetBaseAsync(new SlowToolTemplate(), "bench");
        VmLease first = await baseVm.LeaseAsync("first test");
        TimeSpan firstTest = Stopwatch.GetElapsedTime(started);
        (await first.Vm.RunAsync("tool")).ShouldSucceed().StdoutShouldBe("ready");
        await first.ReleaseAsync(testFailed: false);

        var forks = new Samples();
        for (int i = 0; i < Forks; i++)
        {
            VmLease lease = await forks.TimeAsync(() => baseVm.LeaseAsync("test"));
            await lease.ReleaseAsync(testFailed: false);
        }

        return (firstTest, forks);
    }

    /// <summary>A template whose provisioning takes ten seconds, as installing a toolchain does.</summary>
    private sealed class SlowToolTemplate : VmTemplate
    {
        public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) =>
            (await vm.RunAsync("sleep 10 && mkdir -p ~/.local/bin && printf '#!/bin/sh\\necho ready\\n' > ~/.local/bin/tool && chmod +x ~/.local/bin/tool", cancellationToken)).ShouldSucceed();
    }
}
