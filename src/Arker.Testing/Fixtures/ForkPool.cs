using System.Threading.Channels;
using Arker.Testing.Client;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Fixtures;

/// <summary>
/// Keeps a few forks of a base VM made ahead of time, each with its shell already started (a
/// fork's first command would otherwise pay for starting its sandbox), so a test takes one without
/// waiting. When the pool is empty, a test waits for a fork the pool is making rather than make one
/// more beside it (which would only slow both down where cores are few); a test with no such fork
/// to wait for makes its own, shell started, as the pool would.
/// </summary>
internal sealed class ForkPool : IAsyncDisposable
{
    private readonly RunVms _vms;
    private readonly Computer _base;
    private readonly Channel<Computer> _ready;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _room;
    private readonly Task _filling;
    private int _making; // the pool's forks under way: room taken, not yet ready
    private int _waiting; // tests waiting for one of them

    public ForkPool(RunVms vms, Computer baseVm, int size)
    {
        _vms = vms;
        _base = baseVm;
        _ready = Channel.CreateUnbounded<Computer>();
        _room = new SemaphoreSlim(size, Math.Max(1, size));

        // Starting a fork's shell is most of a pooled fork's cost; a filler per core keeps up better.
        int fillers = Math.Min(size, Math.Max(1, Environment.ProcessorCount));
        _filling = size > 0 ? Task.WhenAll(Enumerable.Range(0, fillers).Select(_ => Task.Run(FillAsync))) : Task.CompletedTask;
    }

    /// <summary>
    /// A fork of the base with its shell started: a ready one, or the next the pool makes, or, when
    /// the pool is making none for this caller, a fresh one.
    /// </summary>
    public async Task<Computer> TakeAsync(CancellationToken cancellationToken)
    {
        if (_ready.Reader.TryRead(out Computer? ready))
        {
            _room.Release();
            return ready;
        }

        return await ForkBeingMadeAsync(cancellationToken) ?? await ForkWithShellAsync(cancellationToken);
    }

    /// <summary>
    /// The next fork the pool makes, when one is being made that no other waiting test will take
    /// first; null when there is none, or when it is slow to come (or failing) for longer than <see cref="PoolPatience"/>.
    /// </summary>
    private async Task<Computer?> ForkBeingMadeAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (Interlocked.Increment(ref _waiting) > Volatile.Read(ref _making))
            {
                return null;
            }

            using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            patience.CancelAfter(PoolPatience);
            Computer made = await _ready.Reader.ReadAsync(patience.Token);
            _room.Release();
            return made;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null; // the pool is stopping
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _filling;
        }
        catch (OperationCanceledException)
        {
        }

        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out Computer? unused))
        {
            await _vms.DeleteAsync(unused);
        }

        _stopping.Dispose();
        _room.Dispose();
    }

    // How long a test waits for a fork the pool is making before it makes one of its own.
    private static readonly TimeSpan PoolPatience = TimeSpan.FromSeconds(2);

    private async Task FillAsync()
    {
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            await _room.WaitAsync(stopping); // room is taken before forking, so the pool never overfills
            bool made = false;
            Interlocked.Increment(ref _making);
            try
            {
                Computer fork = await ForkWithShellAsync(stopping);
                made = true;
                if (!_ready.Writer.TryWrite(fork))
                {
                    await _vms.DeleteAsync(fork);
                }
            }
            catch (ArkerException ex)
            {
                // Tests fork for themselves meanwhile, and see the error if it persists.
                _vms.Logger.LogWarning(ex, "The warm pool of {Base} could not fork; retrying in a second", _base.Id);
                _room.Release();
            }
            finally
            {
                Interlocked.Decrement(ref _making); // after the fork is in the channel: a test that counted on it finds it there
            }

            if (!made)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            }
        }
    }

    /// <summary>A fork of the base whose first command (its sandbox's start) has run.</summary>
    private async Task<Computer> ForkWithShellAsync(CancellationToken cancellationToken)
    {
        Computer fork = await _vms.ForkAsync(_base, cancellationToken);
        try
        {
            await fork.RunAsync("true", cancellationToken);
        }
        catch (ArkerException ex)
        {
            // Still a good fork: its first command starts the shell instead.
            _vms.Logger.LogDebug(ex, "Could not start the shell of fork {Vm}", fork.Id);
        }
        catch (OperationCanceledException)
        {
            _vms.DeleteInBackground(fork);
            throw;
        }

        return fork;
    }
}
