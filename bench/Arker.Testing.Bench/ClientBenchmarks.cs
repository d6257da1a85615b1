using Arker.Testing.TestSupport;
using System.Text.Json;
using Arker.Testing.Client;

namespace Arker.Testing.Bench;

/// <summary>The embedded client against bare HttpClient doing the same requests, side by side in one run.</summary>
internal static class ClientBenchmarks
{
    private const long SixtyFourMiB = 64L * 1024 * 1024;

    public static async Task RunAsync(Report report)
    {
        await using ServerProcess server = await BenchServer.StartAsync();
        var bare = RawApi.Create(server.BaseUrl, BenchServer.ApiKey);
        using var arker = new ArkerClient(new ArkerClientOptions { ApiKey = BenchServer.ApiKey, BaseUrl = new Uri(server.BaseUrl, "/arker-0.1") }); // against the bare 0.1 routes
        Computer vm = await arker.Vm("arkuntu").ForkAsync();

        report.Section("Embedded client vs bare HttpClient (same server, same requests, taking turns)");
        await RunOverheadAsync(report, bare, vm);
        await ThroughputAsync(report, bare, vm);
        await AllocationAsync(report, vm);
        await vm.DeleteAsync();
    }

    private static async Task RunOverheadAsync(Report report, RawApi bare, Computer vm)
    {
        var client = new Samples();
        var baseline = new Samples();
        for (int round = 0; round < 40; round++)
        {
            for (int i = 0; i < 25; i++)
            {
                await baseline.TimeAsync(async () =>
                {
                    JsonElement r = await bare.RunAsync(vm.Id, "true");
                    return r.GetProperty("exit_code").GetInt32();
                });
            }

            for (int i = 0; i < 25; i++)
            {
                await client.TimeAsync(async () => (await vm.RunAsync("true")).ExitCode);
            }
        }

        report.Row("`RunAsync(\"true\")` through the client", client, "ms");
        report.Row("the same request through bare HttpClient", baseline, "ms");
        report.Ratio("client ÷ bare HttpClient, per call (p50)", client.P50 / baseline.P50);
    }

    private static async Task ThroughputAsync(Report report, RawApi bare, Computer vm)
    {
        var clientWrite = new Samples();
        var bareWrite = new Samples();
        var clientRead = new Samples();
        var bareRead = new Samples();
        for (int i = 0; i < 6; i++)
        {
            await bareWrite.TimeAsync(async () =>
            {
                await bare.UploadAsync(vm.Id, "/home/user/bare.bin", new PatternStream(SixtyFourMiB), SixtyFourMiB);
                return true;
            });
            await clientWrite.TimeAsync(async () =>
            {
                await vm.Sync.WriteFileAsync("/home/user/client.bin", new PatternStream(SixtyFourMiB));
                return true;
            });
            await bareRead.TimeAsync(async () =>
            {
                await bare.DownloadAsync(vm.Id, "/home/user/bare.bin", Stream.Null);
                return true;
            });
            await clientRead.TimeAsync(async () =>
            {
                await vm.Sync.ReadFileAsync("/home/user/client.bin", Stream.Null);
                return true;
            });
        }

        report.Throughput("64 MiB write, client", SixtyFourMiB, clientWrite);
        report.Throughput("64 MiB write, bare HttpClient", SixtyFourMiB, bareWrite);
        report.Ratio("write throughput, client ÷ bare (p50)", bareWrite.P50 / clientWrite.P50);
        report.Throughput("64 MiB read, client", SixtyFourMiB, clientRead);
        report.Throughput("64 MiB read, bare HttpClient", SixtyFourMiB, bareRead);
        report.Ratio("read throughput, client ÷ bare (p50)", bareRead.P50 / clientRead.P50);
    }

    /// <summary>Managed memory allocated (all threads) while writing a 100 MB file from disk.</summary>
    private static async Task AllocationAsync(Report report, Computer vm)
    {
        string file = Path.GetTempFileName();
        try
        {
            await using (var stream = File.Create(file))
            {
                await new PatternStream(100_000_000).CopyToAsync(stream);
            }

            await vm.Sync.UploadFileAsync(file, "/home/user/warm.bin");
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await vm.Sync.UploadFileAsync(file, "/home/user/100mb.bin");
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            report.Line(System.FormattableString.Invariant($"| managed memory allocated writing a 100 MB file from disk | {allocated / 1024.0:0} KiB | | 1 |"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
