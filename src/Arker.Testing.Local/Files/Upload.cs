namespace Arker.Testing.Local.Files;

/// <summary>
/// A file being assembled outside its VM: byte ranges of inline chunks, or the body of a presigned
/// PUT, collected in a staging file until every byte of <c>0..Size</c> has arrived.
/// </summary>
internal sealed class Upload
{
    private readonly List<(long Start, long End)> _ranges = [];

    public required string Id { get; init; }

    public required string VmId { get; init; }

    public required string Path { get; init; }

    public required long Size { get; init; }

    public required string StagingPath { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Serializes the chunks, PUTs and commit of one upload.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Bytes received by the last complete presigned PUT, or -1 if none finished.</summary>
    public long UploadedBytes { get; set; } = -1;

    public bool Completed { get; set; }

    public IReadOnlyList<(long Start, long End)> Ranges => _ranges;

    public void AddRange(long start, long end)
    {
        _ranges.Add((start, end));
        _ranges.Sort();
        for (int i = _ranges.Count - 1; i > 0; i--)
        {
            if (_ranges[i].Start <= _ranges[i - 1].End)
            {
                _ranges[i - 1] = (_ranges[i - 1].Start, Math.Max(_ranges[i - 1].End, _ranges[i].End));
                _ranges.RemoveAt(i);
            }
        }
    }

    public bool HasAllBytes => Size == 0 || (_ranges.Count == 1 && _ranges[0].Start == 0 && _ranges[0].End >= Size);
}
