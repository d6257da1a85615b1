using Arker.Testing.Local.Sandbox;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>The VM's structure lock: many shared holders, one exclusive, and a waiting exclusive holder is not starved.</summary>
public sealed class SharedExclusiveLockTests
{
    [Fact]
    public async Task Shared_holders_hold_together_and_an_exclusive_holder_waits_until_the_last_lets_go()
    {
        var gate = new SharedExclusiveLock();
        IDisposable first = await gate.SharedAsync(Cancellation).WaitAsync(Patience, Cancellation);
        IDisposable second = await gate.SharedAsync(Cancellation).WaitAsync(Patience, Cancellation);

        Task<IDisposable> exclusive = gate.ExclusiveAsync(Cancellation);
        Assert.False(exclusive.IsCompleted);
        first.Dispose();
        Assert.False(exclusive.IsCompleted);
        second.Dispose();

        (await exclusive.WaitAsync(Patience, Cancellation)).Dispose();
    }

    [Fact]
    public async Task A_waiting_exclusive_holder_keeps_new_shared_holders_out_until_it_has_had_its_turn()
    {
        var gate = new SharedExclusiveLock();
        IDisposable reader = await gate.SharedAsync(Cancellation).WaitAsync(Patience, Cancellation);
        Task<IDisposable> writer = gate.ExclusiveAsync(Cancellation);

        Task<IDisposable> laterReader = gate.SharedAsync(Cancellation);
        Assert.False(laterReader.IsCompleted);
        reader.Dispose();
        IDisposable writing = await writer.WaitAsync(Patience, Cancellation);
        Assert.False(laterReader.IsCompleted);
        writing.Dispose();

        (await laterReader.WaitAsync(Patience, Cancellation)).Dispose();
    }

    [Fact]
    public async Task Releasing_twice_releases_once_and_a_cancelled_wait_takes_nothing()
    {
        var gate = new SharedExclusiveLock();
        IDisposable exclusive = await gate.ExclusiveAsync(Cancellation).WaitAsync(Patience, Cancellation);
        using var giveUp = new CancellationTokenSource();
        Task<IDisposable> waiting = gate.SharedAsync(giveUp.Token);

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        exclusive.Dispose();
        exclusive.Dispose();

        IDisposable again = await gate.ExclusiveAsync(Cancellation).WaitAsync(Patience, Cancellation);
        Task<IDisposable> blocked = gate.SharedAsync(Cancellation);
        Assert.False(blocked.IsCompleted); // the second Dispose above did not release this holder's turn
        again.Dispose();
        (await blocked.WaitAsync(Patience, Cancellation)).Dispose();
    }

    /// <summary>How long a holder that should get the lock may take: a lock that never comes fails the test, it does not hang it.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
}
