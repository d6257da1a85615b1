using System.Diagnostics;
using Arker.Testing.TestSupport;
using static Arker.Testing.Platform.Tests.Leftovers;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// A test host killed with SIGKILL in the middle of a test: the process that started it (the
/// platform's test host controller, where the extension's watcher lives) deletes what it left.
/// </summary>
public sealed class CrashCleanupTests : IAsyncDisposable
{
    private readonly ScratchFolder _scratch = new("arker-crash-test-");

    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task A_killed_test_host_leaves_no_VM_of_its_run_on_the_Arker_server(string app)
    {
        await using ArkerCloudStandIn cloud = await ArkerCloudStandIn.StartAsync();
        string runId = "crash-" + Guid.NewGuid().ToString("N")[..12];

        using RunningApp running = TestApp.Named(app).Start(["--arker-run-id", runId], HangingIn(cloud.Variables));
        SignalledHost host = await running.WaitForSignalAsync(_scratch.File("hung"));
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
        string dataRoot = _scratch.DataRoot;
        using RunningApp running = TestApp.Xunit.Start([], HangingIn(new() { ["ARKER_TESTING_LOCAL_DATA_ROOT"] = dataRoot }));
        SignalledHost host = await running.WaitForSignalAsync(_scratch.File("hung"));
        string instance = Assert.Single(Directory.GetDirectories(dataRoot));
        string cgroup = "arker-local-" + Path.GetFileName(instance);
        List<int> descendants = ProcessTree.DescendantsOf(host.ProcessId);
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
        Assert.DoesNotContain(descendants, ProcessTree.IsAlive);
    }

    public ValueTask DisposeAsync() => _scratch.DisposeAsync();

    private Dictionary<string, string> HangingIn(Dictionary<string, string> variables)
    {
        variables["ARKER_APP_MODE"] = "hang";
        variables["ARKER_APP_SIGNAL_FILE"] = _scratch.File("hung");
        return variables;
    }

    private static void Kill(int processId)
    {
        using var host = Process.GetProcessById(processId);
        Assert.Equal(0, Leftovers.Signal(processId, Leftovers.SigKill));
        host.WaitForExit();
    }

}
