using Arker.Testing.Client;
using Arker.Testing.Fixtures;

namespace Arker.Testing.Apps;

/// <summary>
/// What the apps' test does, chosen by the platform tests through ARKER_APP_MODE: pass, fail,
/// hang (after writing its process id, run id and server to ARKER_APP_SIGNAL_FILE, so the
/// platform test can kill this test host in the middle of a run), or interrupt: two rounds, each
/// a long command in its VM, the first to run (frameworks order them as they like) writing the
/// signal file as it starts its command (so the platform test can send Ctrl-C), the other writing
/// ARKER_APP_SIGNAL_FILE.second should it start.
/// </summary>
internal static class AppBehaviour
{
    private const string LongCommand = "sleep 120";

    /// <summary>The rounds of the test: two to interrupt, else one.</summary>
    public static IEnumerable<int> Rounds => Environment.GetEnvironmentVariable("ARKER_APP_MODE") == "interrupt" ? [1, 2] : [1];

    public static async Task RunAsync(Computer vm, ArkerTestEnvironment environment, int round, Action<string> fail, CancellationToken cancellationToken)
    {
        RunResult result = await vm.RunAsync("echo hello > greeting && cat greeting", cancellationToken);
        vm.AttachOnFailure("/home/user/greeting"); // beside the transcript, should the test fail
        if (result.StdoutText.Trim() != "hello")
        {
            fail($"The VM answered '{result.StdoutText}' (round {round})");
        }

        switch (Environment.GetEnvironmentVariable("ARKER_APP_MODE"))
        {
            case "fail":
                fail("Failing on purpose (ARKER_APP_MODE=fail)");
                break;
            case "hang":
                // A second VM of the run, so there is more than the test's own to clean up.
                await vm.ForkAsync(new ForkOptions { Name = environment.RunId + "-extra" }, cancellationToken);
                await SignalAsync(SignalFile, environment, cancellationToken);
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
            case "interrupt":
                await SignalAsync(File.Exists(SignalFile) ? SignalFile + ".second" : SignalFile, environment, cancellationToken); // the rounds run one after the other
                await vm.RunAsync(LongCommand, cancellationToken);
                break;
        }
    }

    private static string SignalFile => Environment.GetEnvironmentVariable("ARKER_APP_SIGNAL_FILE") ?? throw new InvalidOperationException("ARKER_APP_SIGNAL_FILE is not set");

    private static async Task SignalAsync(string file, ArkerTestEnvironment environment, CancellationToken cancellationToken)
    {
        await File.WriteAllLinesAsync(file + ".tmp", [Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), environment.RunId, environment.Client.BaseUrl.ToString()], cancellationToken);
        File.Move(file + ".tmp", file);
    }
}
