using System.Collections.Concurrent;
using Arker.Testing.Local.Api;
using Arker.Testing.Local.Vms;
using Arker.Testing.Shared;

namespace Arker.Testing.Local.Files;

/// <summary>
/// The file half of the API: inline and presigned reads, inline chunks with idempotent upload ids,
/// and the three-step presigned upload. Bytes are streamed, never held whole; a file appears in
/// its VM only complete, by rename.
/// </summary>
internal sealed class FileService
{
    public const long MaxFileBytes = 100L * 1024 * 1024;
    public const int InlineReadLimit = 16 * 1024 * 1024;
    private const int CopyBufferBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private readonly PresignedUrlSigner _signer;
    private readonly string _stagingDirectory;
    private readonly TimeProvider _time;
    private DateTimeOffset _nextSweep;

    public FileService(PresignedUrlSigner signer, string stagingDirectory, TimeProvider time)
    {
        _signer = signer;
        _stagingDirectory = stagingDirectory;
        _time = time;
    }

    public PresignedUrlSigner Signer => _signer;

    public async Task<ReadResponse> ReadAsync(VmRecord vm, string path, string origin, CancellationToken cancellationToken)
    {
        string[] segments = VmPath.Parse(path);
        return await vm.Sandbox.WithRootAsync(async root =>
        {
            using var files = VmFileSystem.Open(root);
            (FileStream stream, long size) = files.OpenRead(segments, path);
            await using (stream)
            {
                if (size > InlineReadLimit)
                {
                    string url = $"{origin}/presigned/files?path={Uri.EscapeDataString(path)}&{_signer.Sign("GET", vm.Id, path)}";
                    return new ReadResponse(path, size, null, null, url, _signer.LifetimeSeconds, "GET");
                }

                byte[] content = new byte[size];
                await stream.ReadExactlyAsync(content, cancellationToken);
                (string text, string encoding) = ApiResponses.EncodeOutput(content);
                return new ReadResponse(path, size, text, encoding, null, null, null);
            }
        }, cancellationToken);
    }

    /// <summary>Streams a file to a presigned GET.</summary>
    public static Task ServeDownloadAsync(VmRecord vm, string path, HttpResponse response, CancellationToken cancellationToken)
    {
        string[] segments = VmPath.Parse(path);
        return vm.Sandbox.WithRootAsync(async root =>
        {
            using var files = VmFileSystem.Open(root);
            (FileStream stream, long size) = files.OpenRead(segments, path);
            await using (stream)
            {
                response.ContentType = "application/octet-stream";
                response.ContentLength = size;
                await stream.CopyToAsync(response.Body, CopyBufferBytes, cancellationToken);
            }

            return true;
        }, cancellationToken);
    }

    /// <summary>Checks an entry's declared size before anything is written (the whole request is refused).</summary>
    public static void CheckSize(JsonFields entry)
    {
        long? size;
        try
        {
            size = entry.Integer("size");
        }
        catch (ApiException)
        {
            return; // a malformed size is that entry's own error, reported in its result
        }

        if (size > MaxFileBytes)
        {
            throw ApiException.TooLarge($"file is {size} bytes; the limit is {MaxFileBytes} bytes (100 MiB)");
        }
    }

    public async Task<WriteResult> WriteAsync(VmRecord vm, JsonFields entry, string origin, CancellationToken cancellationToken)
    {
        RemoveExpiredUploads();
        string path = entry.String("path", required: true)!;
        string[] segments = VmPath.Parse(path);
        long size = entry.Integer("size", required: true)!.Value;
        if (size < 0)
        {
            throw ApiException.BadRequest($"size must not be negative (got {size})");
        }

        if (entry.Boolean("presigned", defaultValue: false))
        {
            return StartPresignedUpload(vm, path, size, origin);
        }

        if (entry.Has("content"))
        {
            return await WriteChunkAsync(vm, entry, path, segments, size, cancellationToken);
        }

        string uploadId = entry.String("upload_id")
            ?? throw ApiException.BadRequest("a write entry needs 'content' (inline), 'presigned': true (to get an upload URL), or 'upload_id' (to commit an upload)");
        return await CommitPresignedUploadAsync(vm, uploadId, path, segments, size, cancellationToken);
    }

    /// <summary>Receives the body of a presigned PUT into the upload's staging file.</summary>
    public async Task ReceiveUploadAsync(string vmId, string uploadId, Stream body, CancellationToken cancellationToken)
    {
        Upload upload = FindUpload(vmId, uploadId);
        await upload.Gate.WaitAsync(cancellationToken);
        try
        {
            if (upload.Completed)
            {
                return;
            }

            upload.UploadedBytes = -1;
            await using var staging = new FileStream(upload.StagingPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            byte[] buffer = new byte[CopyBufferBytes];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > upload.Size)
                {
                    throw ApiException.TooLarge($"upload is larger than the {upload.Size} bytes declared for {upload.Path}");
                }

                await staging.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            upload.UploadedBytes = total;
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    private WriteResult StartPresignedUpload(VmRecord vm, string path, long size, string origin)
    {
        string uploadId = Ulid.New(_time.GetUtcNow());
        var upload = new Upload
        {
            Id = uploadId,
            VmId = vm.Id,
            Path = path,
            Size = size,
            StagingPath = Path.Combine(_stagingDirectory, uploadId),
            ExpiresAt = _time.GetUtcNow().Add(_signer.Lifetime),
        };
        _uploads[Key(vm.Id, uploadId)] = upload;
        string url = $"{origin}/presigned/uploads/{uploadId}?{_signer.Sign("PUT", vm.Id, uploadId)}";
        return new WriteResult(path, size, Complete: false, Written: false, uploadId, url, _signer.LifetimeSeconds, "PUT");
    }

    private async Task<WriteResult> CommitPresignedUploadAsync(VmRecord vm, string uploadId, string path, string[] segments, long size, CancellationToken cancellationToken)
    {
        Upload upload = FindUpload(vm.Id, uploadId);
        if (upload.Path != path || upload.Size != size)
        {
            throw ApiException.BadRequest($"upload {uploadId} was started for {upload.Path} ({upload.Size} bytes), not {path} ({size} bytes)");
        }

        await upload.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!upload.Completed)
            {
                if (upload.UploadedBytes != size)
                {
                    throw ApiException.BadRequest(upload.UploadedBytes < 0
                        ? $"nothing has been uploaded for {uploadId} yet: PUT the file's bytes to its presigned URL, then commit"
                        : $"the presigned upload received {upload.UploadedBytes} bytes, but size is {size}: PUT the whole file again, then commit");
                }

                await MoveIntoVmAsync(vm, upload, segments, cancellationToken);
            }

            return Completed(path, size);
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    private async Task<WriteResult> WriteChunkAsync(VmRecord vm, JsonFields entry, string path, string[] segments, long size, CancellationToken cancellationToken)
    {
        string uploadId = entry.String("upload_id") ?? Ulid.New(_time.GetUtcNow());
        long start = entry.Integer("start") ?? 0;
        long end = entry.Integer("end") ?? size;
        if (start < 0 || start > end || end > size)
        {
            throw ApiException.BadRequest($"range start={start}, end={end} must satisfy 0 <= start <= end <= size ({size})");
        }

        byte[] content;
        try
        {
            content = Convert.FromBase64String(entry.String("content") ?? "");
        }
        catch (FormatException)
        {
            throw ApiException.BadRequest("content is not valid base64");
        }

        if (content.Length != end - start)
        {
            throw ApiException.BadRequest($"content has {content.Length} bytes, but the range {start}..{end} needs {end - start}");
        }

        string key = Key(vm.Id, uploadId);
        if (!_uploads.TryGetValue(key, out Upload? upload) && start == 0 && end == size)
        {
            // The whole file in one chunk (the common case): straight into the VM, no staging.
            upload = NewChunkedUpload(vm, uploadId, path, size);
            await upload.Gate.WaitAsync(cancellationToken);
            try
            {
                if (_uploads.TryAdd(key, upload))
                {
                    await vm.Sandbox.WithRootAsync(async root =>
                    {
                        using var files = VmFileSystem.Open(root);
                        await files.WriteAtomicallyAsync(segments, path, s => s.WriteAsync(content, cancellationToken).AsTask());
                        return true;
                    }, cancellationToken);
                    upload.Completed = true;
                    return Completed(path, size);
                }
            }
            catch
            {
                _uploads.TryRemove(key, out _);
                throw;
            }
            finally
            {
                upload.Gate.Release();
            }
        }

        upload = _uploads.GetOrAdd(key, _ => NewChunkedUpload(vm, uploadId, path, size));
        if (upload.Path != path || upload.Size != size)
        {
            throw ApiException.Conflict($"upload_id {uploadId} is already used for {upload.Path} ({upload.Size} bytes)");
        }

        await upload.Gate.WaitAsync(cancellationToken);
        try
        {
            if (upload.Completed)
            {
                return Completed(path, size);
            }

            await StageChunkAsync(upload, start, content, cancellationToken);
            if (!upload.HasAllBytes)
            {
                return new WriteResult(path, size, Complete: false, Written: false, uploadId);
            }

            await MoveIntoVmAsync(vm, upload, segments, cancellationToken);
            return Completed(path, size);
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    private static async Task StageChunkAsync(Upload upload, long start, byte[] content, CancellationToken cancellationToken)
    {
        using var staging = File.OpenHandle(upload.StagingPath, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        long end = start + content.Length;
        foreach ((long rangeStart, long rangeEnd) in upload.Ranges)
        {
            long overlapStart = Math.Max(start, rangeStart);
            long overlapEnd = Math.Min(end, rangeEnd);
            if (overlapStart >= overlapEnd)
            {
                continue;
            }

            byte[] existing = new byte[overlapEnd - overlapStart];
            await RandomAccess.ReadAsync(staging, existing, overlapStart, cancellationToken);
            if (!existing.AsSpan().SequenceEqual(content.AsSpan((int)(overlapStart - start), existing.Length)))
            {
                throw ApiException.Conflict($"bytes {overlapStart}..{overlapEnd} of upload {upload.Id} were already received with different content");
            }
        }

        await RandomAccess.WriteAsync(staging, content, start, cancellationToken);
        upload.AddRange(start, end);
    }

    private static async Task MoveIntoVmAsync(VmRecord vm, Upload upload, string[] segments, CancellationToken cancellationToken)
    {
        await vm.Sandbox.WithRootAsync(async root =>
        {
            using var files = VmFileSystem.Open(root);
            await files.WriteAtomicallyAsync(segments, upload.Path, async target =>
            {
                if (upload.Size == 0)
                {
                    return;
                }

                await using var staged = new FileStream(upload.StagingPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
                await staged.CopyToAsync(target, CopyBufferBytes, cancellationToken);
            });
            return true;
        }, cancellationToken);
        upload.Completed = true;
        File.Delete(upload.StagingPath);
    }

    private Upload NewChunkedUpload(VmRecord vm, string uploadId, string path, long size) => new()
    {
        Id = uploadId,
        VmId = vm.Id,
        Path = path,
        Size = size,
        StagingPath = Path.Combine(_stagingDirectory, Guid.NewGuid().ToString("N")),
        ExpiresAt = _time.GetUtcNow().Add(_signer.Lifetime),
    };

    private Upload FindUpload(string vmId, string uploadId) =>
        _uploads.TryGetValue(Key(vmId, uploadId), out Upload? upload)
            ? upload
            : throw ApiException.NotFound($"upload {uploadId} not found for this VM: start the upload with 'presigned': true first");

    /// <summary>Forgets uploads past their URL lifetime (at most once a minute): abandoned ones and old completed ones.</summary>
    private void RemoveExpiredUploads()
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now.AddMinutes(1);
        foreach ((string key, Upload upload) in _uploads)
        {
            if (upload.ExpiresAt < now && _uploads.TryRemove(key, out _))
            {
                File.Delete(upload.StagingPath);
            }
        }
    }

    private static WriteResult Completed(string path, long size) => new(path, size, Complete: true, Written: true);

    private static string Key(string vmId, string uploadId) => vmId + "/" + uploadId;
}
