using Arker.Testing.TestSupport;
using System.Diagnostics;
using System.Globalization;

namespace Arker.Testing.Bench;

/// <summary>The local server's figures: fork, warm run, presigned throughput, memory.</summary>
internal static class ServerBenchmarks
{
    private const long SixtyFourMiB = 64L * 1024 * 1024;

    public static async Task RunAsync(Report report)
    {
        await using ServerProcess server = await BenchServer.StartAsync();
        var api = RawApi.Create(server.BaseUrl, BenchServer.ApiKey);
        await WarmUpAsync(api);

        report.Section("Local server (over HTTP, server in its own process)");
        await ForkAsync(api, report, rounds: 15,
            ("1 file", "echo x > ~/one"),
            ("10,000 files", "mkdir -p ~/many && cd ~/many && seq 10000 | xargs touch"),
            ("200 MB", "head -c 200000000 /dev/zero > ~/big"));
        await WarmRunAsync(api, report);
        await FirstRunAsync(api, report);
        await ThroughputAsync(api, report);
        await MemoryAsync(api, server, report);
        await RootlessAsync(api, report);
    }

    /// <summary>
    /// The same server without root (as the unprivileged account <c>arker-rootless</c>, made if
    /// missing), beside this one, taking turns: a fork of the base image and its first command.
    /// </summary>
    private static async Task RootlessAsync(RawApi root, Report report)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            report.Line("| rootless ÷ root | (run as root to compare: this run is rootless already) | | |");
            return;
        }

        using (var id = Process.Start(new ProcessStartInfo("sh", ["-c", "id -u arker-rootless >/dev/null 2>&1 || useradd --create-home --shell /bin/sh arker-rootless"]))!)
        {
            await id.WaitForExitAsync();
        }

        await using ServerProcess server = await BenchServer.StartAsync(asUser: "arker-rootless");
        var rootless = RawApi.Create(server.BaseUrl, BenchServer.ApiKey);
        await WarmUpAsync(rootless);
        var fork = new[] { new Samples(), new Samples() };
        var first = new[] { new Samples(), new Samples() };
        RawApi[] modes = [root, rootless];
        for (int i = 0; i < 100; i++)
        {
            for (int m = 0; m < 2; m++)
            {
                string vm = await fork[m].TimeAsync(() => modes[m].ForkAsync());
                await first[m].TimeAsync(() => modes[m].RunAsync(vm, "true"));
                await modes[m].DeleteAsync(vm);
            }
        }

        report.Row("fork of the base image, root", fork[0], "ms");
        report.Row("fork of the base image, rootless", fork[1], "ms");
        report.Ratio("fork: rootless ÷ root (p50)", fork[1].P50 / fork[0].P50);
        report.Row("a new fork's first command, root", first[0], "ms");
        report.Row("a new fork's first command, rootless", first[1], "ms");
        report.Ratio("first command: rootless ÷ root (p50)", first[1].P50 / first[0].P50);
    }

    private static async Task WarmUpAsync(RawApi api)
    {
        for (int i = 0; i < 20; i++)
        {
            string vm = await api.ForkAsync();
            await api.RunAsync(vm, "true");
            await api.DeleteAsync(vm);
        }
    }

    /// <summary>
    /// Fork a parent that has just written its content (the fork freezes that content into a
    /// shared layer), and fork it again (the layers are shared as they are). The kinds of parent
    /// take turns, so warm-up and background clean-up weigh on all of them alike.
    /// </summary>
    private static async Task ForkAsync(RawApi api, Report report, int rounds, params (string Label, string Fill)[] kinds)
    {
        var first = kinds.Select(_ => new Samples()).ToArray();
        var again = kinds.Select(_ => new Samples()).ToArray();
        var made = new List<string>();
        for (int round = 0; round < rounds; round++)
        {
            for (int k = 0; k < kinds.Length; k++)
            {
                string parent = await api.ForkAsync();
                await api.RunAsync(parent, kinds[k].Fill);
                made.Add(parent);
                made.Add(await first[k].TimeAsync(() => api.ForkAsync(parent)));
                for (int j = 0; j < 3; j++)
                {
                    made.Add(await again[k].TimeAsync(() => api.ForkAsync(parent)));
                }
            }
        }

        // Deleted at the end, so removing one round's files does not weigh on the next round's forks.
        foreach (string vm in made)
        {
            await api.DeleteAsync(vm);
        }

        for (int k = 0; k < kinds.Length; k++)
        {
            report.Row($"fork, parent holds {kinds[k].Label}: first fork (freezes the parent's writes)", first[k], "ms");
        }

        for (int k = 0; k < kinds.Length; k++)
        {
            report.Row($"fork, parent holds {kinds[k].Label}: later forks (layers shared as they are)", again[k], "ms");
        }

        report.Ratio("first fork: slowest ÷ fastest kind of parent (p50)", first.Max(s => s.P50) / first.Min(s => s.P50));
        report.Ratio("later forks: slowest ÷ fastest kind of parent (p50)", again.Max(s => s.P50) / again.Min(s => s.P50));
    }

    private static async Task WarmRunAsync(RawApi api, Report report)
    {
        string vm = await api.ForkAsync();
        await api.RunAsync(vm, "true");
        var run = new Samples();
        for (int i = 0; i < 300; i++)
        {
            await run.TimeAsync(() => api.RunAsync(vm, "true"));
        }

        var spawn = new Samples();
        for (int i = 0; i < 300; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using var bash = Process.Start(new ProcessStartInfo("bash", ["-c", "true"]))!;
            await bash.WaitForExitAsync();
            spawn.Add(Stopwatch.GetElapsedTime(start));
        }

        await api.DeleteAsync(vm);
        report.Row("run(\"true\") in a warm session, over HTTP", run, "ms");
        report.Row("baseline: spawn `bash -c true` on the host", spawn, "ms");
        report.Ratio("run(\"true\") ÷ spawning bash on the host (p50)", run.P50 / spawn.P50);
    }

    /// <summary>A new fork's first command, which starts its sandbox (bubblewrap and a shell); then the fork is deleted.</summary>
    private static async Task FirstRunAsync(RawApi api, Report report)
    {
        var first = new Samples();
        var cycle = new Samples();
        const int Cycles = 200;
        TimeSpan busyBefore = MachineCpu.BusyTime();
        for (int i = 0; i < Cycles; i++)
        {
            long start = Stopwatch.GetTimestamp();
            string vm = await api.ForkAsync();
            await first.TimeAsync(() => api.RunAsync(vm, "true"));
            await api.DeleteAsync(vm);
            cycle.Add(Stopwatch.GetElapsedTime(start));
        }

        TimeSpan busy = (MachineCpu.BusyTime() - busyBefore) / Cycles;
        report.Row("run(\"true\") as a new fork's first command (starts its sandbox)", first, "ms");
        report.Row("fork, first command, delete", cycle, "ms");
        report.Value("CPU time per fork, first command, delete (whole machine: server, sandbox, kernel, this client)", $"{busy.TotalMilliseconds:0.0} ms");
    }

    private static async Task ThroughputAsync(RawApi api, Report report)
    {
        string vm = await api.ForkAsync();
        var write = new Samples();
        var read = new Samples();
        for (int i = 0; i < 5; i++)
        {
            await write.TimeAsync(async () =>
            {
                await api.UploadAsync(vm, "/home/user/64m.bin", new PatternStream(SixtyFourMiB), SixtyFourMiB);
                return true;
            });
            await read.TimeAsync(async () =>
            {
                await api.DownloadAsync(vm, "/home/user/64m.bin", Stream.Null);
                return true;
            });
        }

        await api.DeleteAsync(vm);
        report.Throughput("64 MiB write through a presigned URL (request, PUT, commit)", SixtyFourMiB, write);
        report.Throughput("64 MiB read through a presigned URL", SixtyFourMiB, read);
    }

    /// <summary>Peak server memory after moving 17 MiB files, then after moving 100 MiB files.</summary>
    private static async Task MemoryAsync(RawApi api, ServerProcess server, Report report)
    {
        string vm = await api.ForkAsync();
        var peaks = new List<double>();
        foreach (long size in new[] { 17L << 20, 100L << 20 })
        {
            for (int i = 0; i < 3; i++)
            {
                await api.UploadAsync(vm, "/home/user/m.bin", new PatternStream(size), size);
                await api.DownloadAsync(vm, "/home/user/m.bin", Stream.Null);
            }

            peaks.Add(server.Memory().Peak);
        }

        await api.DeleteAsync(vm);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"| server peak memory after 17 MiB transfers → after 100 MiB transfers | {peaks[0]:0} MiB → {peaks[1]:0} MiB (+{peaks[1] - peaks[0]:0} MiB for 83 MiB more per file) | |"));
    }
}
