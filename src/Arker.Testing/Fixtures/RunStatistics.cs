using System.Collections.Concurrent;

namespace Arker.Testing.Fixtures;

/// <summary>
/// What a run did with VMs, counted as it happens: every VM made (with how long its fork took),
/// every lease (with how long its test waited for the VM), every provisioning, and how long each VM lived.
/// </summary>
internal sealed class RunStatistics
{
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, long> _bornAt = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TimeSpan> _forkTimes = new();
    private readonly ConcurrentQueue<TimeSpan> _provisioningTimes = new();
    private readonly ConcurrentQueue<TimeSpan> _vmWaits = new();
    private readonly ConcurrentQueue<string> _fromCache = new();
    private readonly ConcurrentDictionary<string, string> _provisionedAgain = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ArkerFailedTest> _failedTests = new();
    private long _vmTicks;

    public RunStatistics(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    public long Now => _clock.GetTimestamp();

    /// <summary>The time since <paramref name="startedAt"/> (a <see cref="Now"/>).</summary>
    public TimeSpan Since(long startedAt) => _clock.GetElapsedTime(startedAt);

    /// <summary>The VMs made and not yet seen deleted.</summary>
    public IEnumerable<string> LiveVms => _bornAt.Keys;

    public void Created(string vmId, long forkStartedAt)
    {
        long now = Now;
        _forkTimes.Enqueue(_clock.GetElapsedTime(forkStartedAt, now));
        _bornAt[vmId] = now;
    }

    public void Deleted(string vmId)
    {
        if (_bornAt.TryRemove(vmId, out long bornAt))
        {
            Interlocked.Add(ref _vmTicks, _clock.GetElapsedTime(bornAt).Ticks);
        }
    }

    /// <summary>A test got its own VM after waiting <paramref name="waited"/> for it (for the warm pool, or for a fork).</summary>
    public void Leased(TimeSpan waited) => _vmWaits.Enqueue(waited);

    public void Provisioned(TimeSpan duration) => _provisioningTimes.Enqueue(duration);

    public void FromCache(string template) => _fromCache.Enqueue(template);

    /// <summary>A kept base of <paramref name="template"/> could not be reused: <paramref name="why"/> (what changed).</summary>
    public void ProvisionedAgain(string template, string why) => _provisionedAgain[template] = why;

    public void Failed(ArkerFailedTest test) => _failedTests.Enqueue(test);

    /// <summary>The figures so far; VMs still alive count as living until now.</summary>
    public ArkerRunSummary Summarize(string runId, int kept, int leftBehind)
    {
        long now = Now;
        long stillAlive = _bornAt.Values.Sum(bornAt => _clock.GetElapsedTime(bornAt, now).Ticks);
        return new ArkerRunSummary
        {
            RunId = runId,
            VmsCreated = _forkTimes.Count,
            TestForks = _vmWaits.Count,
            BasesProvisioned = _provisioningTimes.Count,
            TemplatesFromCache = [.. _fromCache.Order(StringComparer.Ordinal)],
            ProvisionedAgain = new SortedDictionary<string, string>(_provisionedAgain, StringComparer.Ordinal),
            MedianForkTime = Median(_forkTimes),
            MedianProvisioningTime = Median(_provisioningTimes),
            MedianVmWait = Median(_vmWaits),
            LongestVmWait = _vmWaits.IsEmpty ? null : _vmWaits.Max(),
            VmTime = TimeSpan.FromTicks(Interlocked.Read(ref _vmTicks) + stillAlive),
            KeptForFailedTests = kept,
            FailedTests = [.. _failedTests],
            LeftBehind = leftBehind,
        };
    }

    private static TimeSpan? Median(IEnumerable<TimeSpan> values)
    {
        TimeSpan[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? null : sorted[(sorted.Length - 1) / 2];
    }
}
