using System.Diagnostics;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// A test host killed with SIGKILL in the middle of a test: the process that started it (the
/// platform's test host controller, where the extension's watcher lives) deletes what it left.
/// </summary>
public sealed class CrashCleanupTests : IAsyncDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("arker-crash-test-").FullName;

    public CrashCleanupTests() =>
        File.SetUnixFileMode(_scratch, (UnixFileMode)0b111_101_101); // the VM user must reach the embedded server's data root inside it

    [Theory]
    [MemberData(nameof(TestApp.Both), MemberType = typeof(TestApp))]
    public async Task A_killed_test_host_leaves_no_VM_of_its_run_on_the_Arker_server(string app)
    {
        await using ArkerCloudStandIn cloud = await ArkerCloudStandIn.StartAsync();
        string runId = "crash-" + Guid.NewGuid().ToString("N")[..12];

        using RunningApp running = TestApp.Named(app).Start(["--arker-run-id", runId], HangingIn(cloud.Variables));
        HungHost host = await WaitForHungHostAsync(running);
        Assert.Matches($"^{runId}-[0-9a-f]{{6}}$", host.RunId); // the given id, and a suffix of this test application's own
        Assert.NotEqual(running.Process.Id, host.ProcessId); // the host is a child of the watcher, not the process we started
        Assert.True((await cloud.VmsOfRunAsync(runId)).Count >= 3, "the run should have a base, its test's fork and an extra fork by now");

        Kill(host.ProcessId);
        AppRun run = await running.WaitForExitAsync();

        Assert.Empty(await cloud.VmsOfRunAsync(runId));
        Assert.Matches($@"Arker run {host.RunId}: the test host exited without finishing \(exit code 137\); deleted the [3-9] VM\(s\) it left behind\.", run.Output);
    }

    [Fact]
    public async Task A_killed_test_host_leaves_no_mount_cgroup_process_or_file_of_its_embedded_server()
    {
        string dataRoot = Path.Combine(_scratch, "data");
        using RunningApp running = TestApp.Xunit.Start([], HangingIn(new() { ["ARKER_TESTING_LOCAL_DATA_ROOT"] = dataRoot }));
        HungHost host = await WaitForHungHostAsync(running);
        string instance = Assert.Single(Directory.GetDirectories(dataRoot));
        string cgroup = "arker-local-" + Path.GetFileName(instance);
        List<int> descendants = DescendantsOf(host.ProcessId);
        Assert.NotEmpty(MountsUnder(dataRoot));
        Assert.NotEmpty(descendants); // its VMs' sandboxes, and without root the namespace helper
        Assert.NotEmpty(NetworksHeldBy(host.ProcessId)); // its VMs' networks, made ahead and in use: held by its descriptors, by no process
        Assert.Equal(!ServerMounts.Rootless, CgroupsNamed(cgroup).Count > 0); // without root there are no cgroups to leave

        Kill(host.ProcessId);
        AppRun run = await running.WaitForExitAsync();

        Assert.Matches(@"the test host exited without finishing \(exit code 137\); deleted the [3-9] VM\(s\) it left behind\.", run.Output);
        Assert.Empty(Directory.GetFileSystemEntries(dataRoot));
        Assert.Empty(MountsUnder(dataRoot));
        Assert.Empty(CgroupsNamed(cgroup));
        Assert.Empty(ProcessesInCgroup(cgroup));
        Assert.DoesNotContain(descendants, IsAlive);
    }

    public async ValueTask DisposeAsync()
    {
        // Should a test fail, what its dead server left must still go before the folder does.
        await Arker.Testing.Local.LocalArkerServer.CleanUpAfterDeadServersAsync(Path.Combine(_scratch, "data"));
        Directory.Delete(_scratch, recursive: true);
    }

    private Dictionary<string, string> HangingIn(Dictionary<string, string> variables)
    {
        variables["ARKER_APP_MODE"] = "hang";
        variables["ARKER_APP_SIGNAL_FILE"] = Path.Combine(_scratch, "hung");
        return variables;
    }

    private async Task<HungHost> WaitForHungHostAsync(RunningApp running)
    {
        string signal = Path.Combine(_scratch, "hung");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(signal))
        {
            if (running.Process.HasExited || clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                Assert.Fail($"The test app never reached its hanging test. Its output:\n{running.Output}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        string[] lines = await File.ReadAllLinesAsync(signal, TestContext.Current.CancellationToken);
        return new HungHost(int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture), lines[1]);
    }

    private static void Kill(int processId)
    {
        using var host = Process.GetProcessById(processId);
        Assert.Equal(0, Native.Kill(processId, 9));
        host.WaitForExit();
    }

    private static List<string> MountsUnder(string directory) => ServerMounts.Under(directory);

    /// <summary>The processes below <paramref name="processId"/>, from each process's parent in <c>/proc/…/stat</c>.</summary>
    private static List<int> DescendantsOf(int processId)
    {
        var parents = new Dictionary<int, int>();
        foreach (string process in Directory.GetDirectories("/proc").Where(p => int.TryParse(Path.GetFileName(p), out _)))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(process, "stat"));
                parents[int.Parse(Path.GetFileName(process), System.Globalization.CultureInfo.InvariantCulture)] =
                    int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        var found = new List<int>();
        var pending = new Queue<int>([processId]);
        while (pending.TryDequeue(out int parent))
        {
            foreach (int child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                pending.Enqueue(child);
            }
        }

        return found;
    }

    /// <summary>The network namespaces a process holds open by descriptor, other than its own.</summary>
    private static List<string> NetworksHeldBy(int processId)
    {
        string own = new FileInfo($"/proc/{processId}/ns/net").LinkTarget ?? "";
        return [.. Directory.GetFiles($"/proc/{processId}/fd")
            .Select(descriptor => new FileInfo(descriptor).LinkTarget ?? "")
            .Where(target => target.StartsWith("net:[", StringComparison.Ordinal) && target != own)
            .Distinct()];
    }

    /// <summary>Whether a process exists and is not a zombie (dead, waiting for init to reap it).</summary>
    private static bool IsAlive(int processId)
    {
        try
        {
            return !File.ReadLines($"/proc/{processId}/status").Any(line => line.StartsWith("State:", StringComparison.Ordinal) && line.Contains("Z (zombie)", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static List<string> CgroupsNamed(string name) =>
        [.. Directory.GetDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup").Select(root => Path.Combine(root, name)).Where(Directory.Exists)];

    /// <summary>Live processes in a cgroup of that name; zombies are dead already, left for init to reap.</summary>
    private static List<int> ProcessesInCgroup(string name)
    {
        var found = new List<int>();
        foreach (string process in Directory.GetDirectories("/proc").Where(p => int.TryParse(Path.GetFileName(p), out _)))
        {
            try
            {
                bool inCgroup = File.ReadAllText(Path.Combine(process, "cgroup")).Contains(name, StringComparison.Ordinal);
                bool zombie = File.ReadLines(Path.Combine(process, "status")).Any(line => line.StartsWith("State:", StringComparison.Ordinal) && line.Contains("Z (zombie)", StringComparison.Ordinal));
                if (inCgroup && !zombie)
                {
                    found.Add(int.Parse(Path.GetFileName(process), System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }

    private sealed record HungHost(int ProcessId, string RunId);

    private static class Native
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
