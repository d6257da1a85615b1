using Arker.Testing.TestSupport;
using System.Diagnostics;
using Arker.Testing.Client;

namespace Arker.Testing.Bench;

/// <summary>
/// The current API beside the 0.1 routes on one server, taking turns: warm runs and forks over
/// bare HTTP; 64 MiB through the client's chunked writes; presigned transfers beside <c>cp</c>.
/// </summary>
internal static class ProtocolBenchmarks
{
    private const long SixtyFourMiB = 64L * 1024 * 1024;

    public static async Task RunAsync(Report report)
    {
        await using ServerProcess server = await BenchServer.StartAsync();
        RawApi v01 = RawApi.Create(server.BaseUrl, BenchServer.ApiKey);
        var current = new CurrentRawApi(v01.Http);

        report.Section("Current API (`/api`) beside the 0.1 routes (`/arker-0.1`), same server, taking turns");
        await WarmRunAsync(report, v01, current);
        await ForkAsync(report, v01, current);
        await ChunkedWriteAsync(report, server);
        await PresignedBesideCopyAsync(report, current);
    }

    private static async Task WarmRunAsync(Report report, RawApi v01, CurrentRawApi current)
    {
        string vm = await current.ForkAsync();
        await current.RunAsync(vm, "true");
        var onCurrent = new Samples();
        var onV01 = new Samples();
        for (int round = 0; round < 30; round++)
        {
            for (int i = 0; i < 10; i++)
            {
                await onV01.TimeAsync(() => v01.RunAsync(vm, "true"));
            }

            for (int i = 0; i < 10; i++)
            {
                await onCurrent.TimeAsync(() => current.RunAsync(vm, "true"));
            }
        }

        await current.DeleteAsync(vm);
        report.Row("run(\"true\") in a warm session, current `POST …/runs`", onCurrent, "ms");
        report.Row("run(\"true\") in a warm session, 0.1 `POST …/run`", onV01, "ms");
        report.Ratio("run: current ÷ 0.1 (p50)", onCurrent.P50 / onV01.P50);
    }

    private static async Task ForkAsync(Report report, RawApi v01, CurrentRawApi current)
    {
        string parent = await current.ForkAsync();
        await current.RunAsync(parent, "echo x > ~/one");
        await current.DeleteAsync(await current.ForkAsync(parent)); // freezes the parent's write once
        var onCurrent = new Samples();
        var onV01 = new Samples();
        var made = new List<string>();
        for (int round = 0; round < 40; round++)
        {
            made.Add(await onV01.TimeAsync(() => v01.ForkAsync(parent)));
            made.Add(await onCurrent.TimeAsync(() => current.ForkAsync(parent)));
        }

        foreach (string vm in made.Append(parent))
        {
            await current.DeleteAsync(vm);
        }

        report.Row("fork, current `POST /v1/fork` (with an Idempotency-Key)", onCurrent, "ms");
        report.Row("fork, 0.1 `POST …/fork`", onV01, "ms");
        report.Ratio("fork: current ÷ 0.1 (p50)", onCurrent.P50 / onV01.P50);
    }

    /// <summary>The client's 64 MiB write on each generation: chunks of 4 MiB under one upload id on the current API, a presigned upload on 0.1.</summary>
    private static async Task ChunkedWriteAsync(Report report, ServerProcess server)
    {
        using var onCurrent = new ArkerClient(new ArkerClientOptions { ApiKey = BenchServer.ApiKey, BaseUrl = new Uri(server.BaseUrl, "/api") });
        using var onV01 = new ArkerClient(new ArkerClientOptions { ApiKey = BenchServer.ApiKey, BaseUrl = new Uri(server.BaseUrl, "/arker-0.1") });
        Computer vm = await onCurrent.Vm(RawApi.BaseVmId).ForkAsync();
        Computer sameVm = onV01.Vm(vm.Id);
        var current = new Samples();
        var v01 = new Samples();
        for (int i = 0; i < 6; i++)
        {
            await current.TimeAsync(async () =>
            {
                await vm.Sync.WriteFileAsync("/home/user/chunked.bin", new PatternStream(SixtyFourMiB));
                return true;
            });
            await v01.TimeAsync(async () =>
            {
                await sameVm.Sync.WriteFileAsync("/home/user/chunked.bin", new PatternStream(SixtyFourMiB));
                return true;
            });
        }

        await vm.DeleteAsync();
        report.Throughput("64 MiB write, client on the current API (4 MiB chunks, one upload id)", SixtyFourMiB, current);
        report.Throughput("64 MiB write, client on 0.1 (presigned upload)", SixtyFourMiB, v01);
    }

    /// <summary>Presigned write and read of a 64 MiB file on disk, taking turns with <c>cp</c> of the same file.</summary>
    private static async Task PresignedBesideCopyAsync(Report report, CurrentRawApi current)
    {
        string folder = Directory.CreateTempSubdirectory("arker-bench-").FullName;
        string source = Path.Combine(folder, "source.bin");
        await using (FileStream file = File.Create(source))
        {
            await new PatternStream(SixtyFourMiB).CopyToAsync(file);
        }

        string vm = await current.ForkAsync();
        var write = new Samples();
        var read = new Samples();
        var copy = new Samples();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                await copy.TimeAsync(() => CopyAsync(source, Path.Combine(folder, "copy.bin")));
                await write.TimeAsync(async () =>
                {
                    await using FileStream content = File.OpenRead(source);
                    await current.UploadAsync(vm, "/home/user/64m.bin", content, SixtyFourMiB);
                    return true;
                });
                await read.TimeAsync(async () =>
                {
                    await using FileStream sink = File.Create(Path.Combine(folder, "read.bin"));
                    await current.DownloadAsync(vm, "/home/user/64m.bin", sink);
                    return true;
                });
            }
        }
        finally
        {
            await current.DeleteAsync(vm);
            Directory.Delete(folder, recursive: true);
        }

        report.Row("`cp` of the same 64 MiB file on this machine", copy, "ms");
        report.Throughput("64 MiB presigned write from a file (start, PUT, commit by link)", SixtyFourMiB, write);
        report.Throughput("64 MiB presigned read into a file", SixtyFourMiB, read);
        report.Ratio("presigned write ÷ `cp` (p50 time)", write.P50 / copy.P50);
        report.Ratio("presigned read ÷ `cp` (p50 time)", read.P50 / copy.P50);
    }

    private static async Task<bool> CopyAsync(string from, string to)
    {
        using Process cp = Process.Start("cp", [from, to])!;
        await cp.WaitForExitAsync();
        return cp.ExitCode == 0 ? true : throw new InvalidOperationException("cp failed");
    }
}
