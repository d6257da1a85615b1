using Arker.Testing.Fixtures;
using Microsoft.Testing.Platform.Extensions;
using Microsoft.Testing.Platform.Extensions.OutputDevice;
using Microsoft.Testing.Platform.Extensions.TestHostControllers;
using Microsoft.Testing.Platform.OutputDevice;
using Microsoft.Testing.Platform.Services;

namespace Arker.Testing.Platform;

/// <summary>
/// In the process that starts the test host: names the run (so every VM of it can be found);
/// when <c>dotnet test</c> goes away (Ctrl-C sent to it alone), cancels the test host's session
/// (<see cref="DotnetTestWatch"/>); and when the host dies before it could clean up after itself —
/// a crash, an out-of-memory kill, SIGKILL — deletes the run's VMs.
/// </summary>
internal sealed class ArkerTestHostWatcher : ArkerExtension, ITestHostEnvironmentVariableProvider, ITestHostProcessLifetimeHandler, IOutputDeviceDataProducer
{
    private readonly IServiceProvider _services;
    private readonly Lazy<ArkerTestingSettings> _settings;

    // Made here, once, and handed to the test host, so both name the same run.
    private readonly Lazy<string> _runId;
    private DotnetTestWatch? _dotnetTest;

    public ArkerTestHostWatcher(IServiceProvider services)
    {
        _services = services;
        _settings = new(() => ArkerCommandLineOptions.ReadSettings(services.GetCommandLineOptions()));
        _runId = new(() => _settings.Value.MakeRunId());
    }

    public override string Description => "Deletes a run's Arker VMs when its test host dies.";

    public Task UpdateAsync(IEnvironmentVariables environmentVariables)
    {
        environmentVariables.SetVariable(new EnvironmentVariable(ArkerEnvironmentVariables.AssignedRunId, _runId.Value, isSecret: false, isLocked: true));
        return Task.CompletedTask;
    }

    public Task<ValidationResult> ValidateTestHostEnvironmentVariablesAsync(IReadOnlyEnvironmentVariables environmentVariables) => ValidationResult.ValidTask;

    public Task BeforeTestHostProcessStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task OnTestHostProcessStartedAsync(ITestHostProcessInformation testHostProcessInformation, CancellationToken cancellation)
    {
        if (DotnetTestWatch.StartedByDotnetTest)
        {
            _dotnetTest = DotnetTestWatch.Start(testHostProcessInformation.PID);
        }

        return Task.CompletedTask;
    }

    public async Task OnTestHostProcessExitedAsync(ITestHostProcessInformation testHostProcessInformation, CancellationToken cancellation)
    {
        _dotnetTest?.Dispose();
        if (testHostProcessInformation.HasExitedGracefully)
        {
            return; // the host deleted its VMs and reported them itself
        }

        string runId = _runId.Value;
        IOutputDevice output = _services.GetOutputDevice();
        try
        {
            int deleted = await ArkerTestEnvironment.CleanUpAbandonedRunAsync(_settings.Value, runId, cancellation);
            string outcome = deleted > 0 ? $"deleted the {deleted} VM(s) it left behind" : "it left no VMs behind";
            await output.DisplayAsync(this, new WarningMessageOutputDeviceData(
                $"Arker run {runId}: the test host exited without finishing (exit code {testHostProcessInformation.ExitCode}); {outcome}."),
                cancellation);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await output.DisplayAsync(this, new ErrorMessageOutputDeviceData(
                $"Arker run {runId}: the test host exited without finishing, and its VMs could not be deleted ({ex.Message}). Delete the VMs named {runId} with the Arker API."),
                cancellation);
        }
    }
}
