using System.Security.Cryptography;
using Arker.Testing.Shared;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Files;

/// <summary>
/// Writes into a VM's files: a whole file at once, chunks assembled under an upload id
/// (idempotent: a chunk sent twice is harmless, a different one for the same bytes is a conflict),
/// and the three-step presigned upload. Bytes are streamed, never held whole; a file appears in its
/// VM only complete, by rename. Paths are those <paramref name="area"/> allows.
/// </summary>
internal sealed class FileWrites(UploadStore uploads, PresignedUrlSigner signer, TimeProvider time, VmPath area)
{
    /// <summary>The largest file the server takes.</summary>
    public const long MaxFileBytes = 100L * 1024 * 1024;

    private const int CopyBufferBytes = 1024 * 1024;

    public async Task<FileWriteOutcome> WriteAsync(IVmRoot vm, FileWrite write, CancellationToken cancellationToken)
    {
        uploads.RemoveExpired();
        string[] segments = area.Refusing(vm.HostReadOnlyFolders).Parse(write.Path);
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

    /// <summary>Receives the body of a presigned PUT, gathered where the commit can put it in place.</summary>
    public async Task ReceiveUploadAsync(IVmRoot vm, string uploadId, Stream body, CancellationToken cancellationToken)
    {
        Upload upload = uploads.Find(vm.Id, uploadId);
        await upload.Gate.WaitAsync(cancellationToken);
        try
        {
            if (upload.Completed)
            {
                return;
            }

            upload.UploadedBytes = -1;
            SafeFileHandle staged = await StageAsync(vm, upload, cancellationToken);
            byte[] buffer = new byte[CopyBufferBytes];
            long total = 0;
            int read;
            while ((read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                if (total + read > upload.Size)
                {
                    throw LocalArkerException.TooLarge($"upload is larger than the {upload.Size} bytes declared for {upload.Path}");
                }

                await RandomAccess.WriteAsync(staged, buffer.AsMemory(0, read), total, cancellationToken);
                total += read;
            }

            upload.UploadedBytes = total;
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    private FileWriteOutcome Start(IVmRoot vm, StartUpload start)
    {
        Upload upload = uploads.Create(vm, Ulid.New(time.GetUtcNow()), start.Path, start.Size);
        uploads.TryAdd(upload);
        return new FileWriteOutcome(start.Path, start.Size, Complete: false, upload.Id, new SignedTransfer(signer.Sign("PUT", vm.Id, upload.Id), signer.LifetimeSeconds));
    }

    private async Task<FileWriteOutcome> CommitAsync(IVmRoot vm, CommitUpload commit, string[] segments, CancellationToken cancellationToken)
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

    private async Task<FileWriteOutcome> WriteChunkAsync(IVmRoot vm, WriteChunk chunk, string[] segments, CancellationToken cancellationToken)
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

            await StageChunkAsync(vm, upload, chunk.Start, chunk.Content, cancellationToken);
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
    private async Task<bool> TryWriteWholeAsync(IVmRoot vm, Upload upload, WriteChunk chunk, string[] segments, CancellationToken cancellationToken)
    {
        await upload.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!uploads.TryAdd(upload))
            {
                return false;
            }

            await vm.WithRootAsync(async root =>
            {
                using var files = VmFileSystem.Open(vm, root, area.Refusing(vm.HostReadOnlyFolders));
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

    /// <summary>A fresh file for the upload's bytes: unnamed inside the VM where its filesystem can make one.</summary>
    private static async Task<SafeFileHandle> StageAsync(IVmRoot vm, Upload upload, CancellationToken cancellationToken)
    {
        SafeFileHandle? inVm = await vm.WithRootAsync(root =>
        {
            using var files = VmFileSystem.Open(vm, root, VmPath.Home);
            return Task.FromResult(files.CreateAnonymousFile());
        }, cancellationToken);
        return upload.Stage(inVm);
    }

    private static async Task StageChunkAsync(IVmRoot vm, Upload upload, long start, byte[] content, CancellationToken cancellationToken)
    {
        SafeFileHandle staged = upload.Staged ?? await StageAsync(vm, upload, cancellationToken);
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
            await RandomAccess.ReadAsync(staged, existing, overlapStart, cancellationToken);
            if (!existing.AsSpan().SequenceEqual(content.AsSpan((int)(overlapStart - start), existing.Length)))
            {
                throw LocalArkerException.Conflict($"bytes {overlapStart}..{overlapEnd} of upload {upload.Id} were already received with different content", "upload");
            }
        }

        await RandomAccess.WriteAsync(staged, content, start, cancellationToken);
        upload.AddRange(start, end);
    }

    /// <summary>
    /// Puts the gathered file in place: by link and rename when it was gathered inside the VM (no
    /// bytes copied), by copy otherwise, or when the VM was forked since and is on another mount.
    /// </summary>
    private async Task MoveIntoVmAsync(IVmRoot vm, Upload upload, string[] segments, CancellationToken cancellationToken)
    {
        SafeFileHandle? staged = upload.Staged;
        await vm.WithRootAsync(async root =>
        {
            using var files = VmFileSystem.Open(vm, root, area.Refusing(vm.HostReadOnlyFolders));
            if (staged is not null && upload.StagedInVm && await files.TryLinkIntoPlaceAsync(segments, upload.Path, staged))
            {
                return true;
            }

            await files.WriteAtomicallyAsync(segments, upload.Path, async target =>
            {
                if (staged is not null && upload.Size > 0)
                {
                    await using var source = new FileStream(staged, FileAccess.Read, bufferSize: 0);
                    source.Position = 0;
                    await source.CopyToAsync(target, CopyBufferBytes, cancellationToken);
                }
            });
            return true;
        }, cancellationToken);
        upload.Completed = true;
        upload.DiscardStaged();
    }

    private static FileWriteOutcome Completed(FileWrite write) => new(write.Path, write.Size, Complete: true, Received: [(0, write.Size)]);

    /// <summary>Checks a staged upload against the SHA-256 its sender gave; on a mismatch the upload is dropped, to be sent again.</summary>
    private async Task VerifyStagedAsync(Upload upload, string? expected, CancellationToken cancellationToken)
    {
        if (expected is null)
        {
            return;
        }

        byte[] actual = upload.Staged is { } staged ? await HashAsync(staged, cancellationToken) : SHA256.HashData([]);
        try
        {
            Verify(actual, expected, upload.Path);
        }
        catch
        {
            uploads.Remove(upload);
            throw;
        }
    }

    private static async Task<byte[]> HashAsync(SafeFileHandle file, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[CopyBufferBytes];
        long offset = 0;
        int read;
        while ((read = await RandomAccess.ReadAsync(file, buffer, offset, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            offset += read;
        }

        return hash.GetHashAndReset();
    }

    private static void Verify(byte[] actual, string? expected, string path)
    {
        if (expected is not null && !string.Equals(Convert.ToHexStringLower(actual), expected, StringComparison.OrdinalIgnoreCase))
        {
            throw LocalArkerException.InvalidInput($"sha256 mismatch for {path}: the bytes received hash to {Convert.ToHexStringLower(actual)}, not {expected}; send the file again");
        }
    }
}
