using Arker.Testing.Client;
using Arker.Testing.Fixtures;

namespace Arker.Testing.Apps;

/// <summary>
/// What the apps' one test does, chosen by the platform tests through ARKER_APP_MODE: pass, fail,
/// or hang (after writing its process id, run id and server to ARKER_APP_SIGNAL_FILE, so the
/// platform test can kill this test host in the middle of a run).
/// </summary>
internal static class AppBehaviour
{
    public static async Task RunAsync(Computer vm, ArkerTestEnvironment environment, Action<string> fail, CancellationToken cancellationToken)
    {
        RunResult result = await vm.RunAsync("echo hello > greeting && cat greeting", cancellationToken);
        if (result.StdoutText.Trim() != "hello")
        {
            fail($"The VM answered '{result.StdoutText}'");
        }

        switch (Environment.GetEnvironmentVariable("ARKER_APP_MODE"))
        {
            case "fail":
                fail("Failing on purpose (ARKER_APP_MODE=fail)");
                break;
            case "hang":
                // A second VM of the run, so there is more than the test's own to clean up.
                await vm.ForkAsync(new ForkOptions { Name = environment.RunId + "-extra" }, cancellationToken);
                string signal = Environment.GetEnvironmentVariable("ARKER_APP_SIGNAL_FILE") ?? throw new InvalidOperationException("ARKER_APP_SIGNAL_FILE is not set");
                await File.WriteAllLinesAsync(signal + ".tmp", [Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), environment.RunId, environment.Client.BaseUrl.ToString()], cancellationToken);
                File.Move(signal + ".tmp", signal);
                await Task.Delay(Timeout.Infinite, cancellationToken);
                break;
        }
    }
}
