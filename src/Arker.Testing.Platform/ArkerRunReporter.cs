using Arker.Testing.Fixtures;
using Microsoft.Testing.Platform.Configurations;
using Microsoft.Testing.Platform.Extensions.Messages;
using Microsoft.Testing.Platform.Extensions.OutputDevice;
using Microsoft.Testing.Platform.Extensions.TestHost;
using Microsoft.Testing.Platform.OutputDevice;
using Microsoft.Testing.Platform.Services;
using Microsoft.Testing.Platform.TestHost;

namespace Arker.Testing.Platform;

/// <summary>
/// In the test host: gives the shared test environment the settings of the command line when a
/// test session starts; when it ends, deletes the session's VMs, prints what the run did, and
/// saves it as a file in the test results folder (<c>dotnet test</c> lists the file; it shows
/// test applications' own output only when a run fails).
/// </summary>
internal sealed class ArkerRunReporter(IServiceProvider services) : ArkerExtension, ITestSessionLifetimeHandler, IOutputDeviceDataProducer, IDataProducer
{
    public override string Description => "Configures Arker.Testing from the command line and reports each run's VMs.";

    public Type[] DataTypesProduced => [typeof(SessionFileArtifact)];

    public async Task OnTestSessionStartingAsync(ITestSessionContext testSessionContext)
    {
        try
        {
            ArkerTestEnvironment.ConfigureShared(ArkerCommandLineOptions.ReadSettings(services.GetCommandLineOptions()));
        }
        catch (InvalidOperationException ex)
        {
            // Code that ran before the session (a static constructor, say) already started it from the environment variables.
            await services.GetOutputDevice().DisplayAsync(
                this,
                new WarningMessageOutputDeviceData(ex.Message + " The --arker-* options do not apply to this run; its environment variables do."),
                testSessionContext.CancellationToken);
        }
    }

    public async Task OnTestSessionFinishingAsync(ITestSessionContext testSessionContext)
    {
        CancellationToken cancellationToken = testSessionContext.CancellationToken;
        if (await ArkerTestEnvironment.CompleteSharedAsync() is not { } summary)
        {
            return; // no test asked for a VM
        }

        IOutputDevice output = services.GetOutputDevice();
        await output.DisplayAsync(this, new TextOutputDeviceData(summary.ToString()), cancellationToken);
        if (summary.LeftBehind > 0)
        {
            await output.DisplayAsync(this, new WarningMessageOutputDeviceData(
                $"{summary.LeftBehind} VM(s) of the run could not be deleted; their names begin with {summary.RunId}. Delete them through the Arker API (ArkerTestEnvironment.CleanUpAbandonedRunAsync deletes them all)."),
                cancellationToken);
        }

        string folder = services.GetConfiguration().GetTestResultDirectory();
        Directory.CreateDirectory(folder);
        var file = new FileInfo(Path.Combine(folder, $"{summary.RunId}.arker-summary.json"));
        await RunSummaryFile.WriteAsync(file, summary);
        await services.GetMessageBus().PublishAsync(this, new SessionFileArtifact(testSessionContext.SessionUid, file, "Arker run summary", summary.ToString()));
    }
}
