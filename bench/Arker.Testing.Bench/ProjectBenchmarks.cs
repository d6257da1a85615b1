using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Arker.Testing.Bench;

/// <summary>
/// What isolation costs in a user's test project: <c>bench/UserProject</c> (xunit.v3 and the
/// Arker.Testing adapter), built outside the repository from this build's packed packages and run
/// as a user runs it, on the embedded local server. Fifty tests one after the other, and four
/// classes of 25 in parallel, each test writing a 1 KB file and reading it back with one command:
/// each in a fork of its own, and sharing one VM per class (<c>ShareVm</c>). The difference of the
/// whole runs, per test, is what a fork per test costs; each test's wait for its VM shows whether
/// the warm pool keeps up. <c>ARKER_BENCH_PACKED_FROM</c> names another built clone (an earlier
/// commit's) whose packages the same project is built from, for a comparison in the same hour.
/// </summary>
internal static class ProjectBenchmarks
{
    private const int Rounds = 5;

    private static readonly string[] Packages =
        ["Arker.Testing.Abstractions", "Arker.Testing.Local", "Arker.Testing", "Arker.Testing.Platform", "Arker.Testing.Xunit"];

    public static async Task RunAsync(Report report)
    {
        string root = Assembly.GetExecutingAssembly().GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
        string work = Directory.CreateTempSubdirectory("arker-bench-project-").FullName;
        string version = "0.0.0-bench." + Guid.NewGuid().ToString("N")[..10];
        try
        {
            string feed = Directory.CreateDirectory(Path.Combine(work, "feed")).FullName;
            string project = Directory.CreateDirectory(Path.Combine(work, "UserProject")).FullName;
            string packedFrom = Environment.GetEnvironmentVariable("ARKER_BENCH_PACKED_FROM") ?? root;
            foreach (string package in Packages)
            {
                await DotnetAsync(work, "pack", Path.Combine(packedFrom, "src", package), "-c", "Release", "--no-build", "-o", feed, "-p:Version=" + version);
            }

            foreach (string file in Directory.GetFiles(Path.Combine(root, "bench", "UserProject")))
            {
                File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
            }

            File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration><packageSources><add key="arker-bench" value="{feed}" /></packageSources></configuration>
                """);
            await DotnetAsync(project, "build", "-c", "Release", "-p:ArkerTestingVersion=" + version);
            string app = Path.Combine(project, "bin", "Release", "net10.0", "UserProject");

            report.Section($"A user's project (xunit.v3 4.0.3, packages packed from {packedFrom}, embedded server): a fork per test against one shared VM per class");
            await CompareAsync(report, app, work, "50 tests one after the other", "UserProject.SerialForkPerTest", "UserProject.SerialSharedVm", 50);
            await CompareAsync(report, app, work, "4 classes × 25 tests in parallel", "UserProject.ParallelForkPerTest*", "UserProject.ParallelSharedVm*", 100);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (string package in Packages)
            {
                string cached = Path.Combine(cache, package.ToLowerInvariant(), version);
                if (Directory.Exists(cached))
                {
                    Directory.Delete(cached, recursive: true);
                }
            }
        }
    }

    /// <summary>Whole runs of each kind, taking turns after one of each to warm up; the waits for a VM of the fork-per-test runs.</summary>
    private static async Task CompareAsync(Report report, string app, string work, string what, string forkClasses, string sharedClasses, int tests)
    {
        var forkRuns = new Samples();
        var sharedRuns = new Samples();
        var setups = new Samples();
        (string Test, double Milliseconds) slowest = ("", 0);
        for (int round = 0; round <= Rounds; round++)
        {
            (TimeSpan forked, IReadOnlyList<(string Test, double Milliseconds)> waits) = await RunTestsAsync(app, work, forkClasses, tests);
            (TimeSpan shared, _) = await RunTestsAsync(app, work, sharedClasses, tests);
            if (round == 0)
            {
                continue; // warm-up: the first runs build the base cache's entries and load the programs
            }

            forkRuns.Add(forked);
            sharedRuns.Add(shared);
            foreach ((string test, double wait) in waits)
            {
                setups.Add(TimeSpan.FromMilliseconds(wait));
                slowest = wait > slowest.Milliseconds ? (test, wait) : slowest;
            }
        }

        report.Row($"{what}: the whole run, a fork per test", forkRuns, "ms");
        report.Row($"{what}: the whole run, one shared VM per class", sharedRuns, "ms");
        report.Value($"{what}: fork per test − shared VM, per test (p50 of the runs; target ≤ 10 ms)", string.Create(CultureInfo.InvariantCulture, $"**{(forkRuns.P50 - sharedRuns.P50) / tests:0.0} ms**"));
        report.Row($"{what}: a test's wait for its own VM (each class's first test, which waits for the base too, left out)", setups, "ms");
        report.Value($"{what}: the slowest wait ÷ the median wait (target ≤ 3×)", string.Create(CultureInfo.InvariantCulture, $"**{slowest.Milliseconds / setups.P50:0.0}×** ({slowest.Milliseconds:0.0} ms, {slowest.Test})"));
    }

    private static async Task<(TimeSpan Elapsed, IReadOnlyList<(string Test, double Milliseconds)> Waits)> RunTestsAsync(string app, string work, string classes, int tests)
    {
        string log = Path.Combine(work, "setup.log");
        File.WriteAllText(log, "");
        var start = new ProcessStartInfo(app, ["--filter-class", classes, "--no-ansi", "--progress", "off"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(app)!,
        };
        start.Environment["BENCH_SETUP_LOG"] = log;
        // ubuntu-base, which [ArkerVm] forks, is this machine's own userland here, as in the other benchmarks.
        start.Environment["ARKER_TESTING_LOCAL_IMAGES"] = "ubuntu-base=arkuntu";
        long started = Stopwatch.GetTimestamp();
        using Process run = Process.Start(start)!;
        Task<string> output = run.StandardOutput.ReadToEndAsync();
        string errors = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        string said = await output;
        if (run.ExitCode != 0 || !said.Contains($"succeeded: {tests}", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the user project's run of {classes} did not pass its {tests} tests (exit code {run.ExitCode}):\n{said}\n{errors}");
        }

        return (elapsed, [.. File.ReadAllLines(log).Select(line => line.Split(' ')).Select(parts => ($"{parts[0]} case {parts[1]}", double.Parse(parts[2], CultureInfo.InvariantCulture)))]);
    }

    private static async Task DotnetAsync(string workingDirectory, params string[] arguments)
    {
        using Process dotnet = Process.Start(new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        Task<string> output = dotnet.StandardOutput.ReadToEndAsync();
        string errors = await dotnet.StandardError.ReadToEndAsync();
        await dotnet.WaitForExitAsync();
        if (dotnet.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed (exit code {dotnet.ExitCode}):\n{await output}\n{errors}");
        }
    }
}
