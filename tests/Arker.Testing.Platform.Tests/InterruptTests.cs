using System.Diagnostics;
using static Arker.Testing.Platform.Tests.Leftovers;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// Ctrl-C in a terminal (SIGINT to the whole foreground process group) in the middle of a test
/// whose command runs for two minutes: the command is cancelled on the server, the next test never
/// starts, the run ends at once with its summary printed and saved, and its embedded server leaves
/// nothing behind, not even with its helpers in the same terminal.
/// </summary>
public sealed class InterruptTests : IAsyncDisposable
{
    /// <summary>Far below the two minutes the interrupted command would take, far above what ending takes.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    private readonly string _scratch = Directory.CreateTempSubdirectory("arker-interrupt-test-").FullName;

    public InterruptTests() =>
        File.SetUnixFileMode(_scratch, (UnixFileMode)0b111_101_101); // the VM user must reach the embedded server's data root inside it

    [Theory]
    [MemberData(nameof(TestApp.Both), MemberType = typeof(TestApp))]
    public async Task Ctrl_C_in_a_terminal_cancels_the_running_command_starts_no_new_test_and_leaves_nothing(string app)
    {
        string dataRoot = Path.Combine(_scratch, "data");
        string results = Path.Combine(_scratch, "results");
        string signal = Path.Combine(_scratch, "started");
        using RunningApp running = TestApp.Named(app).StartAsATerminalWould(["--results-directory", results], new Dictionary<string, string>
        {
            ["ARKER_APP_MODE"] = "interrupt",
            ["ARKER_APP_SIGNAL_FILE"] = signal,
            ["ARKER_TESTING_LOCAL_DATA_ROOT"] = dataRoot,
        });
        SignalledHost host = await running.WaitForSignalAsync(signal);
        await Task.Delay(500, TestContext.Current.CancellationToken); // the command is under way
        List<int> descendants = DescendantsOf(host.ProcessId);
        Assert.NotEmpty(descendants); // its VMs' sandboxes (each in a session of its own), and without root the namespace helper

        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Signal(-running.Process.Id, SigInt));
        AppRun run = await running.WaitForExitAsync();
        TimeSpan ended = clock.Elapsed;

        Assert.True(ended < Prompt, $"the run ended {ended.TotalSeconds:0.0} s after Ctrl-C; {run}");
        Assert.False(File.Exists(signal + ".second"), $"a test started after Ctrl-C; {run}");
        Assert.Matches($@"Arker run {host.RunId}: .*, 0 VMs left behind\.", run.Output);
        Assert.True(File.Exists(Path.Combine(results, host.RunId + ".arker-summary.json")), $"no summary in {results}; {run}");
        Assert.Empty(Directory.GetFileSystemEntries(dataRoot));
        Assert.Empty(MountsUnder(dataRoot));
        Assert.Empty(await StillAliveAsync(descendants));
    }

    public async ValueTask DisposeAsync()
    {
        // Should a test fail, what its server left must still go before the folder does.
        await Arker.Testing.Local.LocalArkerServer.CleanUpAfterDeadServersAsync(Path.Combine(_scratch, "data"));
        Directory.Delete(_scratch, recursive: true);
    }
}
