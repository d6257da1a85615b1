using System.Diagnostics;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Client;

/// <summary>
/// The current API answers a run that outlasts its synchronous window with 202 and a run id; the
/// client polls <c>GET …/runs/{id}</c> to the end, and cancels the run when the test gives up.
/// </summary>
public sealed class BackgroundedRunTests(LocalServer local)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARunLongerThanTheWindow_IsPolledToItsEnd_WithItsOutputAndExitCode()
    {
        using var recorder = new RecordingHandler();
        using ArkerClient arker = local.NewClient(o => o.HttpMessageHandler = recorder);
        arker.SecondsToBackground = 1;
        Computer vm = await arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

        RunResult run = await vm.RunAsync("sleep 2; echo finished; echo late >&2; exit 4", Cancellation);

        Assert.Equal(("finished\n", "late\n", 4), (run.StdoutText, run.StderrText, run.ExitCode));
        Assert.Contains(recorder.Requests, r => r.Method == HttpMethod.Get && r.Uri.AbsolutePath.StartsWith($"/api/v1/vms/{vm.Id}/runs/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CancellingWhilePolling_CancelsTheRunOnTheServer()
    {
        using ArkerClient arker = local.NewClient();
        arker.SecondsToBackground = 1;
        Computer vm = await arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        giveUp.CancelAfter(TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => vm.RunAsync("sleep 6311", giveUp.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancellation took {clock.Elapsed}");
        RunResult after = await vm.RunAsync("pgrep -f 'sleep 6311' || echo gone", Cancellation);
        Assert.Equal("gone\n", after.StdoutText);
    }
}
