using System.Security.Cryptography;
using Arker.Testing.Local.Vms;
using Arker.Testing.Shared;

namespace Arker.Testing.Local.Files;

/// <summary>
/// Writes into a VM's files: a whole file at once, chunks assembled under an upload id
/// (idempotent: a chunk sent twice is harmless, a different one for the same bytes is a conflict),
/// and the three-step presigned upload. Bytes are streamed, never held whole; a file appears in its
/// VM only complete, by rename.
/// </summary>
internal sealed class FileWrites(UploadStore uploads, PresignedUrlSigner signer, TimeProvider time)
{
    /// <summary>The largest file the server takes.</summary>
    public const long MaxFileBytes = 100L * 1024 * 1024;

    private const int CopyBufferBytes = 1024 * 1024;

    public async Task<FileWriteOutcome> WriteAsync(VmRecord vm, FileWrite write, CancellationToken cancellationToken)
    {
        uploads.RemoveExpired();
        string[] segments = VmPath.Parse(write.Path);
        if (write.Size is < 0 or > MaxFileBytes)
        {
            throw write.Size < 0
                ? LocalArkerException.InvalidInput($"size must not be negative (got {write.Size})")
                : LocalArkerException.TooLarge($"file is {write.Size} bytes; the limit is {MaxFileBytes} bytes (100 MiB)");
        }

        return write switch
        {
            StartUpload start => Start(vm, start),
            CommitUpload commit => await CommitAsync(vm, commit, segments, cancellationToken),
            WriteChunk chunk => await WriteChunkAsync(vm, chunk, segments, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(write), write, "an unknown kind of write"),
        };
    }

    /// <summary>Receives the body of a presigned PUT into the upload's staging file.</summary>
    public async Task ReceiveUploadAsync(string vmId, string uploadId, Stream body, CancellationToken cancellationToken)
    {
        Upload upload = uploads.Find(vmId, uploadId);
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
                    throw LocalArkerException.TooLarge($"upload is larger than the {upload.Size} bytes declared for {upload.Path}");
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

    private FileWriteOutcome Start(VmRecord vm, StartUpload start)
    {
        Upload upload = uploads.Create(vm, Ulid.New(time.GetUtcNow()), start.Path, start.Size);
        uploads.TryAdd(upload);
        return new FileWriteOutcome(start.Path, start.Size, Complete: false, upload.Id, new SignedTransfer(signer.Sign("PUT", vm.Id, upload.Id), signer.LifetimeSeconds));
    }

    private async Task<FileWriteOutcome> CommitAsync(VmRecord vm, CommitUpload commit, string[] segments, CancellationToken cancellationToken)
    {
        Upload upload = uploads.Find(vm.Id, commit.UploadId);
        if (upload.Path != commit.Path || upload.Size != commit.Size)
        {
            throw LocalArkerException.InvalidInput($"upload {commit.UploadId} was started for {upload.Path} ({upload.Size} bytes), not {commit.Path} ({commit.Size} bytes)");
        }

        await upload.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!upload.Completed)
            {
                if (upload.UploadedBytes != commit.Size)
                {
                    throw LocalArkerException.InvalidInput(upload.UploadedBytes < 0
                        ? $"nothing has been uploaded for {commit.UploadId} yet: PUT the file's bytes to its presigned URL, then commit"
                        : $"the presigned upload received {upload.UploadedBytes} bytes, but size is {commit.Size}: PUT the whole file again, then commit");
                }

                await VerifyStagedAsync(upload, commit.Sha256, cancellationToken);
                await MoveIntoVmAsync(vm, upload, segments, cancellationToken);
            }

            return Completed(commit);
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    private async Task<FileWriteOutcome> WriteChunkAsync(VmRecord vm, WriteChunk chunk, string[] segments, CancellationToken cancellationToken)
    {
        if (chunk.Start < 0 || chunk.Start > chunk.End || chunk.End > chunk.Size)
        {
            throw LocalArkerException.InvalidInput($"range start={chunk.Start}, end={chunk.End} must satisfy 0 <= start <= end <= size ({chunk.Size})");
        }

        if (chunk.Content.Length != chunk.End - chunk.Start)
        {
            throw LocalArkerException.InvalidInput($"content has {chunk.Content.Length} bytes, but the range {chunk.Start}..{chunk.End} needs {chunk.End - chunk.Start}");
        }

        string uploadId = chunk.UploadId ?? Ulid.New(time.GetUtcNow());
        if (chunk.Start == 0 && chunk.End == chunk.Size && !uploads.TryGet(vm.Id, uploadId, out _))
        {
            Verify(SHA256.HashData(chunk.Content), chunk.Sha256, chunk.Path);
            if (await TryWriteWholeAsync(vm, uploads.Create(vm, uploadId, chunk.Path, chunk.Size), chunk, segments, cancellationToken))
            {
                return Completed(chunk);
            }
        }

        Upload upload = uploads.GetOrAdd(vm.Id, uploadId, () => uploads.Create(vm, uploadId, chunk.Path, chunk.Size));
        if (upload.Path != chunk.Path || upload.Size != chunk.Size)
        {
            throw LocalArkerException.Conflict($"upload_id {uploadId} is already used for {upload.Path} ({upload.Size} bytes)", "upload");
        }

        await upload.Gate.WaitAsync(cancellationToken);
        try
        {
            if (upload.Completed)
            {
                return Completed(chunk);
            }

            await StageChunkAsync(upload, chunk.Start, chunk.Content, cancellationToken);
            if (!upload.HasAllBytes)
            {
                return new FileWriteOutcome(chunk.Path, chunk.Size, Complete: false, uploadId, Received: [.. upload.Ranges]);
            }

            await VerifyStagedAsync(upload, chunk.Sha256, cancellationToken);
            await MoveIntoVmAsync(vm, upload, segments, cancellationToken);
            return Completed(chunk);
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    /// <summary>The whole file in one chunk (the common case): straight into the VM, no staging. False when another chunk took the id first.</summary>
    private async Task<bool> TryWriteWholeAsync(VmRecord vm, Upload upload, WriteChunk chunk, string[] segments, CancellationToken cancellationToken)
    {
        await upload.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!uploads.TryAdd(upload))
            {
                return false;
            }

            await vm.Sandbox.WithRootAsync(async root =>
            {
                using var files = VmFileSystem.Open(root);
                await files.WriteAtomicallyAsync(segments, chunk.Path, s => s.WriteAsync(chunk.Content, cancellationToken).AsTask());
                return true;
            }, cancellationToken);
            upload.Completed = true;
            return true;
        }
        catch
        {
            uploads.Remove(upload);
            throw;
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
                throw LocalArkerException.Conflict($"bytes {overlapStart}..{overlapEnd} of upload {upload.Id} were already received with different content", "upload");
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

    private static FileWriteOutcome Completed(FileWrite write) => new(write.Path, write.Size, Complete: true, Received: [(0, write.Size)]);

    /// <summary>Checks a staged upload against the SHA-256 its sender gave; on a mismatch the upload is dropped, to be sent again.</summary>
    private async Task VerifyStagedAsync(Upload upload, string? expected, CancellationToken cancellationToken)
    {
        if (expected is null)
        {
            return;
        }

        byte[] actual;
        await using (var staged = new FileStream(upload.StagingPath, FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read, bufferSize: CopyBufferBytes))
        {
            actual = await SHA256.HashDataAsync(staged, cancellationToken);
        }

        try
        {
            Verify(actual, expected, upload.Path);
        }
        catch
        {
            uploads.Remove(upload);
            File.Delete(upload.StagingPath);
            throw;
        }
    }

    private static void Verify(byte[] actual, string? expected, string path)
    {
        if (expected is not null && !string.Equals(Convert.ToHexStringLower(actual), expected, StringComparison.OrdinalIgnoreCase))
        {
            throw LocalArkerException.InvalidInput($"sha256 mismatch for {path}: the bytes received hash to {Convert.ToHexStringLower(actual)}, not {expected}; send the file again");
        }
    }
}
