using Arker.Testing.TestSupport;
using System.Diagnostics;
using Arker.Testing.Client;
using Arker.Testing.Fixtures;
using Arker.Testing.Seeding;

namespace Arker.Testing.Bench;

/// <summary>What a test pays for its own VM: leasing and releasing a fork, a class of 100 tests, seeding.</summary>
internal static class FixtureBenchmarks
{
    public static async Task RunAsync(Report report)
    {
        await using ServerProcess server = await BenchServer.StartAsync();
        var settings = new ArkerTestingSettings { ApiKey = BenchServer.ApiKey, BaseUrl = new Uri(server.BaseUrl, "/api"), PoolSize = 4 };
        await using ArkerTestEnvironment environment = await ArkerTestEnvironment.CreateAsync(settings);
        BaseVm baseVm = await environment.GetBaseAsync(new BaseImageTemplate("arkuntu"), "bench"); // this machine's userland, as the shared VM below

        report.Section("Fixtures (a VM per test, warm pool of 4, server in its own process)");
        await LeaseAsync(report, baseVm);
        await HundredTestsAsync(report, environment, baseVm);
        await SeedAsync(report, environment);
    }

    /// <summary>Take a VM for a test and release it, one test after another, as a test class does.</summary>
    private static async Task LeaseAsync(Report report, BaseVm baseVm)
    {
        var take = new Samples();
        var release = new Samples();
        for (int i = 0; i < 200; i++)
        {
            VmLease lease = await take.TimeAsync(() => baseVm.LeaseAsync("bench"));
            await release.TimeAsync(async () => await lease.ReleaseAsync(testFailed: false));
            await Task.Delay(2); // a test's own work, during which the pool refills
        }

        report.Row("take a VM for a test (warm pool)", take, "ms");
        report.Row("release it (delete)", release, "ms");
    }

    /// <summary>100 tests that each write a file and run a command: each in its own fork, then all in one shared VM.</summary>
    private static async Task HundredTestsAsync(Report report, ArkerTestEnvironment environment, BaseVm baseVm)
    {
        static async Task OneTestAsync(Computer vm, int i)
        {
            await vm.Sync.WriteFileAsync($"/home/user/input-{i}.txt", $"test {i}\n");
            RunResult r = await vm.RunAsync($"wc -c < ~/input-{i}.txt");
            if (r.ExitCode != 0)
            {
                throw new InvalidOperationException(r.StderrText);
            }
        }

        var forkPerTest = new Samples();
        var shared = new Samples();
        Computer sharedVm = await environment.Client.Vm("arkuntu").ForkAsync(new ForkOptions { Name = environment.RunId + "-shared" });
        for (int round = 0; round < 5; round++)
        {
            await forkPerTest.TimeAsync(async () =>
            {
                for (int i = 0; i < 100; i++)
                {
                    await using VmLease lease = await baseVm.LeaseAsync("bench");
                    await OneTestAsync(lease.Vm, i);
                }

                return true;
            });
            await shared.TimeAsync(async () =>
            {
                for (int i = 0; i < 100; i++)
                {
                    await OneTestAsync(sharedVm, i);
                }

                return true;
            });
        }

        await sharedVm.DeleteAsync();
        report.Row("100 tests, each in its own fork", forkPerTest, "ms");
        report.Row("the same 100 tests sharing one VM", shared, "ms");
        report.Ratio("fork per test ÷ shared VM (p50)", forkPerTest.P50 / shared.P50);
    }

    private static async Task SeedAsync(Report report, ArkerTestEnvironment environment)
    {
        var files = new SeedFiles();
        for (int i = 0; i < 1000; i++)
        {
            files.Add($"src/dir{i % 20}/file{i}.txt", System.Text.Encoding.UTF8.GetBytes($"file {i}\n"));
        }

        Computer vm = await environment.Client.Vm("arkuntu").ForkAsync(new ForkOptions { Name = environment.RunId + "-seed" });
        var seed = new Samples();
        for (int i = 0; i < 5; i++)
        {
            await seed.TimeAsync(async () =>
            {
                await vm.SeedAsync(files, $"/home/user/seed{i}");
                return true;
            });
        }

        await vm.DeleteAsync();
        report.Row("seed 1,000 small files (one archive, one extraction)", seed, "ms");
    }
}
