using System.Diagnostics;
using Arker.Testing.Assertions;
using Arker.Testing.Client;
using Arker.Testing.Fixtures;
using Arker.Testing.Local;
using Arker.Testing.Local.Storage;
using Arker.Testing.Samples;
using Arker.Testing.TestSupport;
using Npgsql;

namespace Arker.Testing.Bench;

/// <summary>
/// VMs of a distribution image (the tests' Debian image, served by a registry on the loopback
/// address): the first pull against skopeo's own copy of the image, what a second pull fetches,
/// forks and first commands of the image's VMs against the host's userland, and a PostgreSQL per
/// test (the samples' template) against one database shared by the tests.
/// </summary>
internal static class ImageBenchmarks
{
    private const int Forks = 60;
    private const int DatabaseTests = 20;

    public static async Task RunAsync(Report report)
    {
        string work = Directory.CreateTempSubdirectory("arker-bench-images-").FullName;
        try
        {
            await using LoopbackRegistry registry = await LoopbackRegistry.StartAsync(Path.Combine(work, "registry"));
            string reference = await registry.PushAsync(await DebianImage.LayoutReferenceAsync(), "arker/debian:bookworm");

            report.Section("Images (the tests' Debian image from a registry on the loopback address; root)");
            await PullAsync(report, registry, reference, work);
            await ForksAsync(report, reference, Path.Combine(work, "cache"));
            await DatabasePerTestAsync(report, work);
        }
        finally
        {
            FolderRemoval.Delete(work);
        }
    }

    /// <summary>
    /// The first pull against <c>skopeo copy</c> to a directory, and the first unpack against
    /// <c>tar</c> extracting the same layers; what a second pull fetches.
    /// </summary>
    private static async Task PullAsync(Report report, LoopbackRegistry registry, string reference, string work)
    {
        var copy = new Samples();
        var fetch = new Samples();
        var tar = new Samples();
        var unpack = new Samples();
        for (int round = 0; round < 3; round++)
        {
            string target = Path.Combine(work, $"copy-{round}");
            long started = Stopwatch.GetTimestamp();
            Tool("skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + reference, "dir:" + target);
            copy.Add(Stopwatch.GetElapsedTime(started));

            string images = Path.Combine(work, $"images-{round}");
            started = Stopwatch.GetTimestamp();
            ContainerImage.Fetch("docker://" + reference, images);
            fetch.Add(Stopwatch.GetElapsedTime(started));

            string extracted = Directory.CreateDirectory(Path.Combine(work, $"tar-{round}")).FullName;
            started = Stopwatch.GetTimestamp();
            foreach (string layer in Layers(target))
            {
                Tool("tar", "-xzf", layer, "-C", extracted, "--numeric-owner");
            }

            tar.Add(Stopwatch.GetElapsedTime(started));
            started = Stopwatch.GetTimestamp();
            ContainerImage.Unpack("docker://" + reference, images).InUse.Dispose();
            unpack.Add(Stopwatch.GetElapsedTime(started));
        }

        int before = registry.BlobsServed();
        var again = new Samples();
        using (await again.TimeAsync(() => Task.FromResult(ContainerImage.Unpack("docker://" + reference, Path.Combine(work, "images-0")).InUse)))
        {
        }

        report.Row("skopeo copy of the image to a directory (baseline)", copy, "ms");
        report.Row("first pull: the image fetched into the shared layout", fetch, "ms");
        report.Ratio("first pull ÷ skopeo copy to a directory (p50; target ≤ 1.5×)", fetch.P50 / copy.P50);
        report.Row("tar extracting the image's layers (baseline)", tar, "ms");
        report.Row("first unpack: umoci, whiteouts applied, ids moved into the VMs' range", unpack, "ms");
        report.Ratio("first unpack ÷ tar (p50)", unpack.P50 / tar.P50);
        report.Row("second pull of the same image (its manifest only)", again, "ms");
        report.Value("blobs the registry served for the second pull (target 0)", $"**{registry.BlobsServed() - before}**");
    }

    /// <summary>The layer files, bottom first, of an image skopeo copied to a directory.</summary>
    private static IEnumerable<string> Layers(string directory)
    {
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "manifest.json")));
        return [.. manifest.RootElement.GetProperty("layers").EnumerateArray().Select(layer => Path.Combine(directory, layer.GetProperty("digest").GetString()!.Split(':')[1]))];
    }

    /// <summary>Forks, and a fork's first command, of the image's VM against the host's userland, on one server.</summary>
    private static async Task ForksAsync(Report report, string reference, string cache)
    {
        await using LocalArkerServer server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { BaseCacheDirectory = cache });
        using var arker = new ArkerClient(new ArkerClientOptions { ApiKey = server.ApiKey, BaseUrl = server.ApiBaseUrl });
        Computer image = await arker.ForkImageAsync(reference);
        Computer host = await arker.Vm("arkuntu").ForkAsync();
        (await image.RunAsync("true")).ShouldSucceed();
        (await host.RunAsync("true")).ShouldSucceed();

        var imageForks = new Samples();
        var hostForks = new Samples();
        var imageFirst = new Samples();
        var hostFirst = new Samples();
        for (int i = 0; i < Forks; i++)
        {
            foreach ((Computer from, Samples forks, Samples first) in new[] { (image, imageForks, imageFirst), (host, hostForks, hostFirst) })
            {
                Computer fork = await forks.TimeAsync(() => from.ForkAsync());
                await first.TimeAsync(() => fork.RunAsync("true"));
                await fork.DeleteAsync();
            }
        }

        report.Row("fork of the host's userland", hostForks, "ms");
        report.Row("fork of the image's VM", imageForks, "ms");
        report.Ratio("image fork ÷ host fork (p50; target ≤ 1.2×)", imageForks.P50 / hostForks.P50);
        report.Row("a fork's first command, host's userland (bubblewrap)", hostFirst, "ms");
        report.Row("a fork's first command, the image (root inside: vm-init.pl, a user namespace of the VMs' id range)", imageFirst, "ms");
        report.Ratio("image first command ÷ host first command (p50; target ≤ 1.3×)", imageFirst.P50 / hostFirst.P50);
    }

    /// <summary>
    /// A test's cost with a PostgreSQL of its own (the samples' template, forked per test: from the
    /// test's start to its first query answered) and with one database shared by the tests (a query,
    /// and the reset a shared database needs between tests).
    /// </summary>
    private static async Task DatabasePerTestAsync(Report report, string work)
    {
        await using AptRepositoryServer repository = await AptRepositoryServer.StartAsync();
        Environment.SetEnvironmentVariable(PackageSource.Variable, repository.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var settings = new ArkerTestingSettings
        {
            PoolSize = 0,
            LocalCacheDirectory = Path.Combine(work, "run-cache"),
            LocalImages = new Dictionary<string, string> { ["ubuntu-base"] = await DebianImage.LayoutReferenceAsync() },
        };
        await using ArkerTestEnvironment run = await ArkerTestEnvironment.CreateAsync(settings);
        long started = Stopwatch.GetTimestamp();
        BaseVm database = await run.GetBaseAsync(new PostgresMachine(), "bench");
        TimeSpan provisioning = Stopwatch.GetElapsedTime(started);

        var own = new Samples();
        for (int i = 0; i < DatabaseTests; i++)
        {
            long test = Stopwatch.GetTimestamp();
            VmLease lease = await database.LeaseAsync("database test");
            await using (NpgsqlConnection connection = await OpenAsync(lease.Vm))
            {
                await CountAsync(connection);
                own.Add(Stopwatch.GetElapsedTime(test));
            }

            await lease.ReleaseAsync(testFailed: false);
        }

        VmLease shared = await database.LeaseAsync("shared database");
        var sharing = new Samples();
        await using (NpgsqlConnection connection = await OpenAsync(shared.Vm))
        {
            for (int i = 0; i < DatabaseTests; i++)
            {
                long test = Stopwatch.GetTimestamp();
                await using (var reset = new NpgsqlCommand("BEGIN; TRUNCATE notes RESTART IDENTITY; INSERT INTO notes (text) VALUES ('buy milk'), ('call mum'); COMMIT;", connection))
                {
                    await reset.ExecuteNonQueryAsync();
                }

                await CountAsync(connection);
                sharing.Add(Stopwatch.GetElapsedTime(test));
            }
        }

        await shared.ReleaseAsync(testFailed: false);
        report.Value("database template: PostgreSQL installed with sudo apt-get, seeded, stopped (once per run)", $"{provisioning.TotalSeconds:0.0} s");
        report.Row("a test with a PostgreSQL of its own: fork, start, wait for the port, expose, connect, first query (target ≤ 1 s)", own, "ms");
        report.Row("a test on one shared database: reset the seed data, then the query", sharing, "ms");
    }

    private static async Task<NpgsqlConnection> OpenAsync(Computer vm)
    {
        var connection = new NpgsqlConnection(await PostgresMachine.ConnectionStringAsync(vm, CancellationToken.None));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task CountAsync(NpgsqlConnection connection)
    {
        await using var count = new NpgsqlCommand("SELECT count(*) FROM notes", connection);
        if (Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) != 2)
        {
            throw new InvalidOperationException("the database did not hold the seed data");
        }
    }

    private static void Tool(string program, params string[] arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: {errors}");
        }
    }
}
