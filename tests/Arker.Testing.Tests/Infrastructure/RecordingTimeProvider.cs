using System.Collections.Concurrent;

namespace Arker.Testing.Tests.Infrastructure;

/// <summary>The system clock, remembering every timer asked of it (so retry waits can be checked).</summary>
public sealed class RecordingTimeProvider : TimeProvider
{
    public ConcurrentQueue<TimeSpan> Timers { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Timers.Enqueue(dueTime);
        return System.CreateTimer(callback, state, dueTime, period);
    }
}
