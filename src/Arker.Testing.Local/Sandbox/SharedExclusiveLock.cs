namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// An async lock with shared holders (file operations, session starts) and exclusive holders
/// (fork, delete). A waiting exclusive holder blocks new shared holders, so it cannot starve.
/// </summary>
internal sealed class SharedExclusiveLock
{
    private readonly SemaphoreSlim _entry = new(1, 1);
    private readonly Lock _gate = new();
    private int _shared;
    private TaskCompletionSource? _drained;

    public async Task<IDisposable> SharedAsync(CancellationToken cancellationToken = default)
    {
        await _entry.WaitAsync(cancellationToken);
        lock (_gate)
        {
            _shared++;
        }

        _entry.Release();
        return new Releaser(ReleaseShared);
    }

    public async Task<IDisposable> ExclusiveAsync(CancellationToken cancellationToken = default)
    {
        await _entry.WaitAsync(cancellationToken);
        while (true)
        {
            Task drained;
            lock (_gate)
            {
                if (_shared == 0)
                {
                    return new Releaser(() => _entry.Release());
                }

                _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = _drained.Task;
            }

            await drained;
        }
    }

    private void ReleaseShared()
    {
        lock (_gate)
        {
            if (--_shared == 0 && _drained is { } drained)
            {
                _drained = null;
                drained.SetResult();
            }
        }
    }

    private sealed class Releaser(Action release) : IDisposable
    {
        private Action? _release = release;

        public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
    }
}
