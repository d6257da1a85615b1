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
/// test applications' own output only when a run fails) and, on GitHub Actions, on the job's
/// summary page (<see cref="GitHubStepSummary"/>). When the session is cancelled (Ctrl-C),
/// the run is cancelled at once: its VMs are deleted, which ends the commands running in them,
/// and no later test gets a VM (<see cref="ArkerTestEnvironment.CancelSharedAsync"/>), whether
/// or not the test framework stops its tests. A cancelled session skips the platform's
/// end-of-session handlers, so the summary is printed and saved once the run is over
/// (<see cref="AfterRunAsync"/>), or at the latest as the process exits (NUnit's adapter ends the
/// process itself when it cannot stop its run).
/// </summary>
internal sealed class ArkerRunReporter(IServiceProvider services)
    : ArkerExtension, ITestSessionLifetimeHandler, ITestHostApplicationLifetime, IOutputDeviceDataProducer, IDataProducer
{
    private static readonly TimeSpan ExitPatience = TimeSpan.FromSeconds(60);
    private readonly Lock _gate = new();
    private Task<ArkerRunSummary?>? _completion;
    private int _reported;
    private int _reportsAtExit;
    private CancellationTokenRegistration _onCancel;

    public override string Description => "Configures Arker.Testing from the command line and reports each run's VMs.";

    public Type[] DataTypesProduced => [typeof(SessionFileArtifact)];

    public async Task OnTestSessionStartingAsync(ITestSessionContext testSessionContext)
    {
        // Each session is a run of its own (a server-mode host, an IDE's, may have several).
        lock (_gate)
        {
            _completion = null;
            _reported = 0;
        }

        _onCancel.Dispose();
        _onCancel = testSessionContext.CancellationToken.Register(() => _ = CompleteAsync(cancelled: true));
        if (Interlocked.Exchange(ref _reportsAtExit, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => ReportAtExitAsync().Wait(ExitPatience);
        }

        try
        {
            ArkerTestEnvironment.ConfigureShared(ArkerCommandLineOptions.ReadSettings(services.GetCommandLineOptions()) with
            {
                ResultsDirectory = services.GetConfiguration().GetTestResultDirectory(), // where failed tests' evidence goes
            });
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
        if (await CompleteAsync(cancelled: false) is { } summary && FirstReport())
        {
            FileInfo file = await ReportAsync(summary, testSessionContext.CancellationToken);
            await services.GetMessageBus().PublishAsync(this, new SessionFileArtifact(testSessionContext.SessionUid, file, "Arker run summary", summary.ToString()));
        }
    }

    public Task BeforeRunAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After a cancelled session, which never reached <see cref="OnTestSessionFinishingAsync"/>.</summary>
    public async Task AfterRunAsync(int exitCode, CancellationToken cancellation)
    {
        if (await CompleteAsync(cancelled: false) is { } summary && FirstReport())
        {
            await ReportAsync(summary, CancellationToken.None); // the run's token is cancelled: this is what the user still has to see
        }
    }

    /// <summary>Ends the shared environment, once (cancelling its run when the session was cancelled); null when no test asked for a VM.</summary>
    private Task<ArkerRunSummary?> CompleteAsync(bool cancelled)
    {
        lock (_gate)
        {
            Func<Task<ArkerRunSummary?>> complete = cancelled ? ArkerTestEnvironment.CancelSharedAsync : ArkerTestEnvironment.CompleteSharedAsync;
            return _completion ??= Task.Run(complete);
        }
    }

    private bool FirstReport() => Interlocked.Exchange(ref _reported, 1) == 0;

    private async Task ReportAtExitAsync()
    {
        if (await CompleteAsync(cancelled: false) is { } summary && FirstReport())
        {
            await ReportAsync(summary, CancellationToken.None);
        }
    }

    /// <summary>Prints the summary (with a warning for VMs left behind) and saves it in the test results folder.</summary>
    private async Task<FileInfo> ReportAsync(ArkerRunSummary summary, CancellationToken cancellationToken)
    {
        IOutputDevice output = services.GetOutputDevice();
        await output.DisplayAsync(this, new TextOutputDeviceData(summary.ToString()), cancellationToken);
        if (summary.LeftBehind > 0)
        {
            await output.DisplayAsync(this, new WarningMessageOutputDeviceData(
                $"{summary.LeftBehind} VM(s) of the run could not be deleted; their names begin with {summary.RunId}. Delete them through the Arker API (ArkerTestEnvironment.CleanUpAbandonedRunAsync deletes them all)."),
                cancellationToken);
        }

        if (await GitHubStepSummary.AppendAsync(summary, cancellationToken) is { } problem)
        {
            await output.DisplayAsync(this, new WarningMessageOutputDeviceData(problem), cancellationToken);
        }

        string folder = services.GetConfiguration().GetTestResultDirectory();
        Directory.CreateDirectory(folder);
        var file = new FileInfo(Path.Combine(folder, $"{summary.RunId}.arker-summary.json"));
        await RunSummaryFile.WriteAsync(file, summary);
        return file;
    }
}
