namespace Arker.Testing.Local.Files;

/// <summary>One write of a sync request, as a wire generation parses it: validated types, no JSON.</summary>
/// <param name="Path">The file in the VM.</param>
/// <param name="Size">The whole file's size in bytes.</param>
internal abstract record FileWrite(string Path, long Size);

/// <summary>
/// Bytes <paramref name="Start"/>..<paramref name="End"/> of the file: the whole of it, or a chunk
/// of an upload the server assembles under <paramref name="UploadId"/> (chunks are idempotent).
/// </summary>
/// <remarks>A given <paramref name="Sha256"/> (the whole file's, lowercase hex) is checked before the file is published.</remarks>
internal sealed record WriteChunk(string Path, long Size, string? UploadId, long Start, long End, byte[] Content, string? Sha256 = null) : FileWrite(Path, Size);

/// <summary>Asks for a presigned URL to PUT the file's bytes to.</summary>
internal sealed record StartUpload(string Path, long Size) : FileWrite(Path, Size);

/// <summary>Moves the complete presigned upload <paramref name="UploadId"/> into the VM.</summary>
internal sealed record CommitUpload(string Path, long Size, string UploadId, string? Sha256 = null) : FileWrite(Path, Size);

/// <summary>What a write did: the file is complete in the VM, or the upload waits for more bytes (or for its presigned PUT).</summary>
/// <remarks><paramref name="Received"/>: the byte ranges the server holds of a chunked upload, merged.</remarks>
internal sealed record FileWriteOutcome(string Path, long Size, bool Complete, string? UploadId = null, SignedTransfer? Upload = null, IReadOnlyList<(long Start, long End)>? Received = null);

/// <summary>A presigned transfer: the signed query that authorises it, and how long it lasts.</summary>
internal sealed record SignedTransfer(string Query, int LifetimeSeconds);

/// <summary>A read: the file's bytes inline, or (when large) a presigned transfer to fetch it.</summary>
internal sealed record FileRead(string Path, long Size, byte[]? Content, SignedTransfer? Download);
