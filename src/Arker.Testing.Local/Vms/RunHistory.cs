using System.Collections.Concurrent;

namespace Arker.Testing.Local.Vms;

/// <summary>A VM's runs, newest last, keeping the most recent <see cref="Capacity"/> finished ones.</summary>
internal sealed class RunHistory
{
    public const int Capacity = 1000;

    private readonly ConcurrentDictionary<string, RunRecord> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RunRecord> _order = new();

    public void Add(RunRecord run)
    {
        _runs[run.Id] = run;
        _order.Enqueue(run);
        while (_order.Count > Capacity && _order.TryPeek(out RunRecord? oldest) && oldest.State != RunState.Running && _order.TryDequeue(out oldest))
        {
            _runs.TryRemove(oldest.Id, out _);
        }
    }

    public RunRecord Find(string runId) =>
        _runs.TryGetValue(runId, out RunRecord? run) ? run : throw LocalArkerException.NotFound($"run not found: {runId}", "run");

    /// <summary>Newest first.</summary>
    public IEnumerable<RunRecord> All => _order.Reverse().Where(r => _runs.ContainsKey(r.Id));
}
