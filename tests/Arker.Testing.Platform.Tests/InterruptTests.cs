using System.Diagnostics;
using Arker.Testing.TestSupport;
using static Arker.Testing.Platform.Tests.Leftovers;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// Ctrl-C in the middle of a test whose command runs for two minutes, as a terminal sends it (SIGINT
/// to the whole foreground process group) and as a CI runner or an IDE may (to <c>dotnet test</c>
/// alone, which then ends without telling the test host it started): the command is cancelled on
/// the server, the next test never starts, the run ends at once with its summary saved, and its
/// embedded server leaves nothing behind, not even with its helpers in the same terminal.
/// </summary>
public sealed class InterruptTests : IAsyncDisposable
{
    /// <summary>Far below the two minutes the interrupted command would take, far above what ending takes.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    private readonly ScratchFolder _scratch = new("arker-interrupt-test-");

    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task Ctrl_C_in_a_terminal_cancels_the_running_command_starts_no_new_test_and_leaves_nothing(string app)
    {
        string dataRoot = _scratch.DataRoot;
        string results = _scratch.File("results");
        string signal = _scratch.File("started");
        using RunningApp running = TestApp.Named(app).StartAsATerminalWould(["--results-directory", results], new Dictionary<string, string>
        {
            ["ARKER_APP_MODE"] = "interrupt",
            ["ARKER_APP_SIGNAL_FILE"] = signal,
            ["ARKER_TESTING_LOCAL_DATA_ROOT"] = dataRoot,
        });
        SignalledHost host = await running.WaitForSignalAsync(signal);
        await UntilTheLongCommandRunsAsync(host.ProcessId);
        List<int> descendants = ProcessTree.DescendantsOf(host.ProcessId);
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

    [Fact]
    public async Task Ctrl_C_to_dotnet_test_alone_ends_the_test_host_it_started()
    {
        string dataRoot = _scratch.DataRoot;
        string results = _scratch.File("results");
        string signal = _scratch.File("started");
        await File.WriteAllTextAsync(_scratch.File("global.json"), """{ "test": { "runner": "Microsoft.Testing.Platform" } }""", TestContext.Current.CancellationToken);
        using RunningApp dotnetTest = RunningApp.Start(
            TestApp.ResettingSigInt[0],
            [.. TestApp.ResettingSigInt.Skip(1), "dotnet", "test", "--test-modules", TestApp.Xunit.Name + ".dll", "--root-directory", TestApp.Xunit.OutputFolder, "--results-directory", results],
            new Dictionary<string, string> { ["ARKER_APP_MODE"] = "interrupt", ["ARKER_APP_SIGNAL_FILE"] = signal, ["ARKER_TESTING_LOCAL_DATA_ROOT"] = dataRoot },
            TimeSpan.FromMinutes(2),
            workingDirectory: _scratch.Path);
        SignalledHost host = await dotnetTest.WaitForSignalAsync(signal);
        await UntilTheLongCommandRunsAsync(host.ProcessId);
        List<int> descendants = ProcessTree.DescendantsOf(host.ProcessId);

        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Signal(dotnetTest.Process.Id, SigInt)); // dotnet test alone, not its process group
        AppRun run = await dotnetTest.WaitForExitAsync();
        List<int> hostAlive = await StillAliveAsync([host.ProcessId], Prompt);
        TimeSpan ended = clock.Elapsed;

        Assert.True(hostAlive.Count == 0, $"the test host still ran {ended.TotalSeconds:0.0} s after dotnet test got Ctrl-C; dotnet test: {run}");
        Assert.False(File.Exists(signal + ".second"), $"a test started after Ctrl-C; {run}");
        Assert.True(File.Exists(Path.Combine(results, host.RunId + ".arker-summary.json")), $"no summary in {results}; {run}");
        Assert.Empty(Directory.GetFileSystemEntries(dataRoot));
        Assert.Empty(MountsUnder(dataRoot));
        Assert.Empty(await StillAliveAsync(descendants));
    }

    public ValueTask DisposeAsync() => _scratch.DisposeAsync();

    /// <summary>Waits until the test's long command (<c>sleep 120</c>) runs in its VM, below the test host.</summary>
    private static async Task UntilTheLongCommandRunsAsync(int testHost)
    {
        var waited = Stopwatch.StartNew();
        while (!ProcessTree.DescendantsOf(testHost).Any(pid => CommandLine(pid) == "sleep 120"))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the test's command never started in its VM");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private static string CommandLine(int processId)
    {
        try
        {
            return File.ReadAllText($"/proc/{processId}/cmdline").TrimEnd('\0').Replace('\0', ' ');
        }
        catch (IOException)
        {
            return ""; // gone already
        }
    }
}
