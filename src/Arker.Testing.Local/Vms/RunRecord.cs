using Arker.Testing.Local.Sandbox;

using Arker.Testing.Local.Sessions;

namespace Arker.Testing.Local.Vms;

/// <summary>
/// A command started in a session of a VM that outlives the request that started it: it can be
/// polled while it runs, read when it is done, and cancelled.
/// </summary>
internal sealed class RunRecord
{
    private readonly CancellationTokenSource _cancellation = new();
    private Task _completion = Task.CompletedTask;

    public required string Id { get; init; }

    public required string VmId { get; init; }

    public string? VmName { get; init; }

    public required string SessionId { get; init; }

    public required string Command { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; private set; }

    public RunState State { get; private set; } = RunState.Running;

    /// <summary>What the command did, once it ran to the end or was killed.</summary>
    public RunOutcome? Outcome { get; private set; }

    /// <summary>What the command wrote to stdout, once it ended (empty before).</summary>
    public byte[] Stdout => Outcome?.Stdout ?? [];

    /// <summary>What the command wrote to stderr, once it ended (empty before).</summary>
    public byte[] Stderr => Outcome?.Stderr ?? [];

    /// <summary>The command's exit code, once it ended.</summary>
    public int? ExitCode => Outcome?.ExitCode;

    /// <summary>Why the server could not finish the command, when <see cref="State"/> is <see cref="RunState.Failed"/>.</summary>
    public string? FailReason { get; private set; }

    /// <summary>Completes when the run reaches a final state; never faults.</summary>
    public Task Completion => _completion;

    /// <summary>
    /// Starts <paramref name="run"/>. A refusal before the command starts (the session is busy, the
    /// VM is gone) is thrown here, and nothing is recorded.
    /// </summary>
    public void Start(Func<CancellationToken, Task<RunOutcome>> run, TimeProvider time)
    {
        Task<RunOutcome> running = run(_cancellation.Token);
        if (running.IsFaulted && running.Exception!.InnerException is LocalArkerException refused)
        {
            throw refused;
        }

        _completion = FinishAsync(running, time);
    }

    /// <summary>Kills the command; false when it had already finished.</summary>
    public bool Cancel()
    {
        if (State != RunState.Running)
        {
            return false;
        }

        _cancellation.Cancel();
        return true;
    }

    private async Task FinishAsync(Task<RunOutcome> running, TimeProvider time)
    {
        try
        {
            Outcome = await running;
            State = _cancellation.IsCancellationRequested ? RunState.Cancelled : RunState.Completed;
        }
        catch (Exception ex) when (ex is LocalArkerException or OperationCanceledException or IOException)
        {
            State = _cancellation.IsCancellationRequested ? RunState.Cancelled : RunState.Failed;
            FailReason = ex.Message;
        }
        finally
        {
            CompletedAt = time.GetUtcNow();
            _cancellation.Dispose();
        }
    }
}

/// <summary>Where a run is in its life.</summary>
internal enum RunState
{
    Running,
    Completed,
    Failed,
    Cancelled,
}
