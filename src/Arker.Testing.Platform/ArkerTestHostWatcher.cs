using Arker.Testing.Fixtures;
using Microsoft.Testing.Platform.Extensions;
using Microsoft.Testing.Platform.Extensions.OutputDevice;
using Microsoft.Testing.Platform.Extensions.TestHostControllers;
using Microsoft.Testing.Platform.OutputDevice;
using Microsoft.Testing.Platform.Services;

namespace Arker.Testing.Platform;

/// <summary>
/// In the process that starts the test host: names the run (so every VM of it can be found) and,
/// when the host dies before it could clean up after itself — a crash, an out-of-memory kill,
/// SIGKILL — deletes the run's VMs.
/// </summary>
internal sealed class ArkerTestHostWatcher(IServiceProvider services) : ArkerExtension, ITestHostEnvironmentVariableProvider, ITestHostProcessLifetimeHandler, IOutputDeviceDataProducer
{
    // The run id is made here, once, so the test host and this watcher name the same run.
    private readonly Lazy<ArkerTestingSettings> _settings = new(() =>
    {
        ArkerTestingSettings given = ArkerCommandLineOptions.ReadSettings(services.GetCommandLineOptions());
        return given with { RunId = given.RunId ?? ArkerTestingSettings.NewRunId() };
    });

    public override string Description => "Deletes a run's Arker VMs when its test host dies.";

    private ArkerTestingSettings Settings => _settings.Value;

    public Task UpdateAsync(IEnvironmentVariables environmentVariables)
    {
        environmentVariables.SetVariable(new EnvironmentVariable(ArkerTestingSettings.RunIdVariable, Settings.RunId!, isSecret: false, isLocked: true));
        return Task.CompletedTask;
    }

    public Task<ValidationResult> ValidateTestHostEnvironmentVariablesAsync(IReadOnlyEnvironmentVariables environmentVariables) => ValidationResult.ValidTask;

    public Task BeforeTestHostProcessStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task OnTestHostProcessStartedAsync(ITestHostProcessInformation testHostProcessInformation, CancellationToken cancellation) => Task.CompletedTask;

    public async Task OnTestHostProcessExitedAsync(ITestHostProcessInformation testHostProcessInformation, CancellationToken cancellation)
    {
        if (testHostProcessInformation.HasExitedGracefully)
        {
            return; // the host deleted its VMs and reported them itself
        }

        string runId = Settings.RunId!;
        IOutputDevice output = services.GetOutputDevice();
        try
        {
            int deleted = await ArkerTestEnvironment.CleanUpAbandonedRunAsync(Settings, runId, cancellation);
            string outcome = deleted > 0 ? $"deleted the {deleted} VM(s) it left behind" : "it left no VMs behind";
            await output.DisplayAsync(this, new WarningMessageOutputDeviceData(
                $"Arker run {runId}: the test host exited without finishing (exit code {testHostProcessInformation.ExitCode}); {outcome}."));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await output.DisplayAsync(this, new ErrorMessageOutputDeviceData(
                $"Arker run {runId}: the test host exited without finishing, and its VMs could not be deleted ({ex.Message}). Delete the VMs named {runId} with the Arker API."));
        }
    }
}
