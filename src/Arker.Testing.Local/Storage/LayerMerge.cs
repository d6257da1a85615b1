namespace Arker.Testing.Local.Storage;

/// <summary>
/// One background merge of a stack of layers into a single layer, shared by every VM whose stack
/// ends with that <see cref="Source"/> (a VM and the forks made from it before the merge was used).
/// The source layers are kept while any VM holds the merge; the last one to let go cleans up.
/// </summary>
internal sealed class LayerMerge
{
    private readonly StackMerger _merger;
    private int _holders = 1;

    private LayerMerge(StackMerger merger, IReadOnlyList<Layer> source)
    {
        _merger = merger;
        Source = source;
        merger.Layers.Retain(source);
        Merged = Task.Run(() => merger.MergeAsync(source));
    }

    public IReadOnlyList<Layer> Source { get; }

    public Task<Layer> Merged { get; }

    public static LayerMerge Start(StackMerger merger, IReadOnlyList<Layer> source) => new(merger, source);

    /// <summary>Whether <paramref name="lowers"/> ends with this merge's source.</summary>
    public bool Covers(IReadOnlyList<Layer> lowers) =>
        lowers.Count >= Source.Count && lowers.Skip(lowers.Count - Source.Count).SequenceEqual(Source);

    public LayerMerge Hold()
    {
        Interlocked.Increment(ref _holders);
        return this;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) != 0)
        {
            return;
        }

        _merger.Cleanup.Run(async () =>
        {
            try
            {
                _merger.Layers.Discard(await Merged);
            }
            catch (Exception)
            {
                // The failure was logged where the merge was awaited.
            }

            _merger.Layers.Release(Source);
        });
    }
}
