namespace Arker.Testing.Local.Storage;

/// <summary>
/// Keeps one VM's stack of layers short. Once a stack reaches half the allowed depth, its layers
/// are merged into one in the background (<see cref="LayerMerge"/>); forks made after that stack
/// new layers on the merged one. A fork waits for the merge only when the stack has passed the
/// limit (and, past it with no merge under way, starts one and waits). Callers hold the VM's
/// exclusive lock.
/// </summary>
internal sealed class StackFlattening
{
    private readonly StackMerger _merger;
    private LayerMerge? _merge;

    public StackFlattening(StackMerger merger, LayerMerge? inherited)
    {
        _merger = merger;
        _merge = inherited?.Hold();
    }

    /// <summary>The merge a fork of this VM can use too, while the fork's stack still ends with its source.</summary>
    public LayerMerge? Pending => _merge;

    /// <summary>
    /// Returns <paramref name="lowers"/> with the merged part replaced when the merge is ready (waiting
    /// for it if the stack is too deep), and starts a merge when one is due.
    /// </summary>
    public async Task<IReadOnlyList<Layer>> ShortenAsync(IReadOnlyList<Layer> lowers)
    {
        if (_merge is { } merge && merge.Covers(lowers))
        {
            if (lowers.Count > _merger.MaxLayerDepth)
            {
                await Task.WhenAny(merge.Merged);
            }

            if (merge.Merged.IsCompletedSuccessfully)
            {
                return [.. lowers.Take(lowers.Count - merge.Source.Count), merge.Merged.Result];
            }

            if (merge.Merged.IsFaulted)
            {
                _merger.Logger.LogWarning(merge.Merged.Exception, "Merging a VM's {Depth} layers failed; trying again at its next fork", merge.Source.Count);
                Forget();
            }
        }

        if (_merge is null && lowers.Count >= Math.Max(2, _merger.MaxLayerDepth / 2))
        {
            _merge = LayerMerge.Start(_merger, lowers);
            if (lowers.Count > _merger.MaxLayerDepth)
            {
                // Past the limit with no merge under way (the last one failed, or this VM's stack grew
                // without one): the fork waits for this one rather than stack deeper still.
                await Task.WhenAny(_merge.Merged);
                if (_merge.Merged.IsCompletedSuccessfully)
                {
                    return [_merge.Merged.Result];
                }
            }
        }

        return lowers;
    }

    /// <summary>This VM no longer needs the merge (it stands on the merged layer now, or is gone).</summary>
    public void Forget()
    {
        _merge?.Release();
        _merge = null;
    }
}
