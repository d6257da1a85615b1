using System.Collections.Concurrent;

namespace Arker.Testing.Local.Files;

/// <summary>
/// The uploads in progress, each with its staging file outside every VM: found by VM and id,
/// forgotten (with their staging files) once past their URL lifetime.
/// </summary>
internal sealed class UploadStore(string stagingDirectory, TimeSpan lifetime, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private DateTimeOffset _nextSweep;

    /// <summary>A new upload of <paramref name="path"/> (not yet registered), staged under a fresh name.</summary>
    public Upload Create(IVmRoot vm, string uploadId, string path, long size) => new()
    {
        Id = uploadId,
        VmId = vm.Id,
        Path = path,
        Size = size,
        StagingPath = Path.Combine(stagingDirectory, Guid.NewGuid().ToString("N")),
        ExpiresAt = time.GetUtcNow().Add(lifetime),
    };

    public bool TryAdd(Upload upload) => _uploads.TryAdd(Key(upload.VmId, upload.Id), upload);

    public Upload GetOrAdd(string vmId, string uploadId, Func<Upload> create) => _uploads.GetOrAdd(Key(vmId, uploadId), _ => create());

    public bool TryGet(string vmId, string uploadId, out Upload? upload) => _uploads.TryGetValue(Key(vmId, uploadId), out upload);

    public void Remove(Upload upload)
    {
        _uploads.TryRemove(Key(upload.VmId, upload.Id), out _);
        upload.DiscardStaged();
    }

    public Upload Find(string vmId, string uploadId) =>
        _uploads.TryGetValue(Key(vmId, uploadId), out Upload? upload)
            ? upload
            : throw LocalArkerException.NotFound($"upload {uploadId} not found for this VM: start the upload with 'presigned': true first", "upload");

    /// <summary>Forgets uploads past their URL lifetime (at most once a minute): abandoned ones and old completed ones.</summary>
    public void RemoveExpired()
    {
        DateTimeOffset now = time.GetUtcNow();
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now.AddMinutes(1);
        foreach ((string key, Upload upload) in _uploads)
        {
            if (upload.ExpiresAt < now && _uploads.TryRemove(key, out _))
            {
                upload.DiscardStaged();
            }
        }
    }

    private static string Key(string vmId, string uploadId) => vmId + "/" + uploadId;
}
