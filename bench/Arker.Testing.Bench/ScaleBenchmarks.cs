using Arker.Testing.TestSupport;
using System.Diagnostics;
using System.Globalization;

namespace Arker.Testing.Bench;

/// <summary>
/// The local server at scale: ten thousand fork lifecycles in a row, watching the time per fork and
/// what the server holds (memory, open descriptors) for growth; a thousand VMs alive at once (each
/// with its sandbox started, as a test's VM is); and what is left after.
/// </summary>
internal static class ScaleBenchmarks
{
    private const int AliveAtOnce = 1000;
    private const int Lifecycles = 10_000;
    private const int Block = 1000;

    public static async Task RunAsync(Report report)
    {
        (int Mounts, int Cgroups) before = Leftovers();
        await using (ServerProcess server = await BenchServer.StartAsync())
        {
            var api = RawApi.Create(server.BaseUrl, BenchServer.ApiKey);
            for (int i = 0; i < 50; i++)
            {
                await api.DeleteAsync(await api.ForkAsync()); // warm-up
            }

            report.Section("Scale (server in its own process)");
            await ManyInARowAsync(api, server, report);
            await ManyAliveAsync(api, server, report);
        }

        (int Mounts, int Cgroups) after = Leftovers();
        report.Value("overlay mounts, server cgroups on this machine: before the server → after it stopped", $"{before.Mounts}, {before.Cgroups} → {after.Mounts}, {after.Cgroups}");
    }

    /// <summary>Overlay mounts (VMs' roots) and cgroup folders of local servers on this machine.</summary>
    private static (int Mounts, int Cgroups) Leftovers() =>
        (File.ReadLines("/proc/self/mountinfo").Count(line => line.Contains(" - overlay ", StringComparison.Ordinal)),
         Directory.EnumerateDirectories("/sys/fs/cgroup", "arker-local-*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2, IgnoreInaccessible = true }).Count());

    /// <summary>Forks <see cref="AliveAtOnce"/> VMs and starts each one's sandbox, keeping them all; forks timed as the count grows.</summary>
    private static async Task ManyAliveAsync(RawApi api, ServerProcess server, Report report)
    {
        long availableBefore = MemoryAvailableKiB();
        double serverBefore = server.Memory().Rss;
        var firstForks = new Samples();
        var lastForks = new Samples();
        var alive = new List<string>(AliveAtOnce);
        for (int i = 0; i < AliveAtOnce; i++)
        {
            Samples forks = i < 100 ? firstForks : i >= AliveAtOnce - 100 ? lastForks : new Samples();
            string vm = await forks.TimeAsync(() => api.ForkAsync());
            await api.RunAsync(vm, "true");
            alive.Add(vm);
        }

        double perVm = (availableBefore - MemoryAvailableKiB()) / 1024.0 / AliveAtOnce;
        double serverPerVm = (server.Memory().Rss - serverBefore) / AliveAtOnce;
        report.Row($"fork with 0–100 VMs alive", firstForks, "ms");
        report.Row($"fork with {AliveAtOnce - 100}–{AliveAtOnce} VMs alive (target p50 ≤ 2 ms)", lastForks, "ms");
        report.Value($"host memory per idle VM (sandbox started; {AliveAtOnce} alive), of which the server's own", string.Create(CultureInfo.InvariantCulture, $"{perVm:0.00} MiB, {serverPerVm:0.000} MiB"));

        var delete = Stopwatch.StartNew();
        foreach (string vm in alive)
        {
            await api.DeleteAsync(vm);
        }

        report.Value($"delete the {AliveAtOnce}", string.Create(CultureInfo.InvariantCulture, $"{delete.Elapsed.TotalSeconds:0.0} s"));
    }

    /// <summary>Fork, first command, delete, <see cref="Lifecycles"/> times; the first and last blocks compared, with the server's memory and descriptors.</summary>
    private static async Task ManyInARowAsync(RawApi api, ServerProcess server, Report report)
    {
        int descriptorsBefore = OpenDescriptors(server);
        double memoryBefore = server.Memory().Rss;
        var blocks = new List<Samples>();
        for (int i = 0; i < Lifecycles; i++)
        {
            if (i % Block == 0)
            {
                blocks.Add(new Samples());
            }

            await blocks[^1].TimeAsync(async () =>
            {
                string vm = await api.ForkAsync();
                await api.RunAsync(vm, "true");
                await api.DeleteAsync(vm);
                return true;
            });
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // the last deletions' clean-up
        report.Row($"fork, first command, delete: the first {Block} of {Lifecycles:N0}", blocks[0], "ms");
        report.Row($"the same: the last {Block}", blocks[^1], "ms");
        report.Ratio("last ÷ first (p50; constant time: ≈ 1)", blocks[^1].P50 / blocks[0].P50);
        report.Value("server memory before → after", string.Create(CultureInfo.InvariantCulture, $"{memoryBefore:0} → {server.Memory().Rss:0} MiB"));
        report.Value("server's open descriptors before → after", $"{descriptorsBefore} → {OpenDescriptors(server)}");
        using var listing = System.Text.Json.JsonDocument.Parse(await api.Http.GetStringAsync("/arker-0.1/api/v1/vms/list"));
        report.Value("VMs the server lists after", listing.RootElement.GetProperty("total").GetInt32().ToString(CultureInfo.InvariantCulture));
    }

    private static int OpenDescriptors(ServerProcess server) => Directory.GetFiles($"/proc/{server.Process.Id}/fd").Length;

    private static long MemoryAvailableKiB() =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
