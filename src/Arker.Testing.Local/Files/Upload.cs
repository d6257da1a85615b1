using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Files;

/// <summary>
/// A file being assembled: byte ranges of inline chunks, or the body of a presigned PUT, collected
/// until every byte of <c>0..Size</c> has arrived, in an unnamed file inside the VM (put in place
/// by a link, no copy) or, where the VM's filesystem cannot make one, in a staging file outside it.
/// </summary>
internal sealed class Upload
{
    private readonly List<(long Start, long End)> _ranges = [];

    public required string Id { get; init; }

    public required string VmId { get; init; }

    public required string Path { get; init; }

    public required long Size { get; init; }

    /// <summary>The staging file's path when the bytes cannot be gathered inside the VM.</summary>
    public required string StagingPath { get; init; }

    /// <summary>The open file the bytes are gathered in, once the first of them arrived.</summary>
    public SafeFileHandle? Staged { get; private set; }

    /// <summary>Whether <see cref="Staged"/> is an unnamed file inside the VM, linked into place on commit.</summary>
    public bool StagedInVm { get; private set; }

    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Serializes the chunks, PUTs and commit of one upload.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Bytes received by the last complete presigned PUT, or -1 if none finished.</summary>
    public long UploadedBytes { get; set; } = -1;

    public bool Completed { get; set; }

    public IReadOnlyList<(long Start, long End)> Ranges => _ranges;

    /// <summary>Gathers the bytes in <paramref name="inVm"/>, or in a new staging file when it is null.</summary>
    public SafeFileHandle Stage(SafeFileHandle? inVm)
    {
        DiscardStaged();
        StagedInVm = inVm is not null;
        Staged = inVm ?? File.OpenHandle(StagingPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        return Staged;
    }

    /// <summary>Lets go of the gathered bytes: an unnamed file vanishes, a staging file is deleted.</summary>
    public void DiscardStaged()
    {
        Staged?.Dispose();
        Staged = null;
    }

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
