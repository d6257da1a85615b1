using System.Diagnostics;
using static Arker.Testing.Platform.Tests.Leftovers;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// Ctrl-C sent to <c>dotnet test</c> alone (a CI runner's cancel, an IDE's stop, <c>kill -INT</c>):
/// <c>dotnet test</c> ends at once, and the test host it started, which nothing told, must not go
/// on with its tests: it cancels its run, saves its summary and leaves nothing behind.
/// </summary>
public sealed class DotnetTestInterruptTests : IAsyncDisposable
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    private readonly string _scratch = Directory.CreateTempSubdirectory("arker-dotnet-test-interrupt-").FullName;

    public DotnetTestInterruptTests() =>
        File.SetUnixFileMode(_scratch, (UnixFileMode)0b111_101_101); // the VM user must reach the embedded server's data root inside it

    [Fact]
    public async Task Ctrl_C_to_dotnet_test_alone_ends_the_test_host_it_started()
    {
        string dataRoot = Path.Combine(_scratch, "data");
        string results = Path.Combine(_scratch, "results");
        string signal = Path.Combine(_scratch, "started");
        await File.WriteAllTextAsync(Path.Combine(_scratch, "global.json"), """{ "test": { "runner": "Microsoft.Testing.Platform" } }""", TestContext.Current.CancellationToken);
        using RunningApp dotnetTest = RunningApp.Start(
            TestApp.ResettingSigInt[0],
            [.. TestApp.ResettingSigInt.Skip(1), "dotnet", "test", "--test-modules", TestApp.Xunit.Name + ".dll", "--root-directory", TestApp.Xunit.OutputFolder, "--results-directory", results],
            new Dictionary<string, string> { ["ARKER_APP_MODE"] = "interrupt", ["ARKER_APP_SIGNAL_FILE"] = signal, ["ARKER_TESTING_LOCAL_DATA_ROOT"] = dataRoot },
            TimeSpan.FromMinutes(2),
            workingDirectory: _scratch);
        SignalledHost host = await dotnetTest.WaitForSignalAsync(signal);
        await Task.Delay(500, TestContext.Current.CancellationToken); // the command is under way
        List<int> descendants = DescendantsOf(host.ProcessId);

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

    public async ValueTask DisposeAsync()
    {
        await Arker.Testing.Local.LocalArkerServer.CleanUpAfterDeadServersAsync(Path.Combine(_scratch, "data"));
        Directory.Delete(_scratch, recursive: true);
    }
}
