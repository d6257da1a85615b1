using System.Threading.Channels;
using Arker.Testing.Client;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Fixtures;

/// <summary>
/// Keeps a few forks of a base VM made ahead of time, each with its shell already started (a
/// fork's first command would otherwise pay for starting its sandbox), so a test takes one without
/// waiting. When the pool is empty a test forks for itself; the pool refills in the background.
/// </summary>
internal sealed class ForkPool : IAsyncDisposable
{
    private readonly RunVms _vms;
    private readonly Computer _base;
    private readonly Channel<Computer> _ready;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _room;
    private readonly Task _filling;

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

    /// <summary>A fork of the base: a ready one if there is one, else a fresh one.</summary>
    public async Task<Computer> TakeAsync(CancellationToken cancellationToken)
    {
        if (_ready.Reader.TryRead(out Computer? ready))
        {
            _room.Release();
            return ready;
        }

        return await _vms.ForkAsync(_base, cancellationToken);
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

    private async Task FillAsync()
    {
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            await _room.WaitAsync(stopping); // room is taken before forking, so the pool never overfills
            Computer fork;
            try
            {
                fork = await _vms.ForkAsync(_base, stopping);
            }
            catch (ArkerException ex)
            {
                // Tests fork for themselves meanwhile, and see the error if it persists.
                _vms.Logger.LogWarning(ex, "The warm pool of {Base} could not fork; retrying in a second", _base.Id);
                _room.Release();
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
                continue;
            }

            try
            {
                await fork.RunAsync("true", stopping);
            }
            catch (ArkerException ex)
            {
                // Still a good fork: its first command starts the shell instead.
                _vms.Logger.LogDebug(ex, "Could not start the shell of pooled fork {Vm}", fork.Id);
            }
            catch (OperationCanceledException)
            {
                _ready.Writer.TryWrite(fork); // the pool is stopping: disposal deletes it with the rest
                throw;
            }

            if (!_ready.Writer.TryWrite(fork))
            {
                await _vms.DeleteAsync(fork);
            }
        }
    }
}
