using Arker.Testing.Local.Files;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// The current sync operation, by <c>op</c>: <c>read</c> (inline base64, or a presigned GET for
/// large files), <c>write</c> (chunks sharing an <c>upload_id</c>, or the presigned start and
/// commit) and <c>manifest</c>. A write entry's failure is reported in its result, not as the status.
/// </summary>
internal sealed class SyncRoutes(VmService vms, FileReads reads, FileWrites writes, FaultInjector faults)
{
    /// <summary>4 MiB chunks in base64 are the norm; a whole request stays under this.</summary>
    private const long MaxJsonBodyBytes = 160L * 1024 * 1024;

    private static readonly string[] ChunkFields = ["path", "size", "upload_id", "content", "start", "end", "sha256", "is_secret"];
    private static readonly string[] PresignedFields = ["path", "size", "presigned", "is_secret"];
    private static readonly string[] CommitFields = ["path", "size", "upload_id", "sha256"];

    public void Map(IEndpointRouteBuilder api) => api.MapPost("/v1/vms/{id}/sync", SyncAsync).WithName("sync");

    private async Task SyncAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        string op = body.String("op") ?? throw ContractException.BadRequest("field 'op' is required: read, write or manifest", "op");
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        switch (op)
        {
            case "read":
                body.RejectUnknown("op", "path");
                await ReadAsync(context, vm, RequiredPath(body));
                break;
            case "write":
                body.RejectUnknown("op", "writes");
                await WriteAsync(context, vm, body.Objects("writes"));
                break;
            case "manifest":
                body.RejectUnknown("op", "path");
                ManifestListing listing = await FileManifest.ListAsync(vm, RequiredPath(body), reads.Area, context.RequestAborted);
                var entries = listing.Entries.Select(e => new ManifestEntryBody(e.Path, e.Size, e.Mode, e.Sha256)).ToArray();
                await ApiResponses.WriteAsync(context, new ManifestBody(listing.Root, "sha256", entries, listing.Truncated), CurrentJsonContext.Default.ManifestBody);
                break;
            default:
                throw ContractException.BadRequest($"field 'op' must be read, write or manifest (got '{op}')", "op");
        }
    }

    private async Task ReadAsync(HttpContext context, VmRecord vm, string path)
    {
        FileRead read = await reads.ReadAsync(vm, path, context.RequestAborted);
        if (read.Download is { } download)
        {
            string url = $"{context.Request.Origin()}/presigned/files?path={Uri.EscapeDataString(read.Path)}&{download.Query}";
            await ApiResponses.WriteAsync(context, new ReadPresignedBody(true, "read", read.Path, read.Size, url, download.LifetimeSeconds, "GET"), CurrentJsonContext.Default.ReadPresignedBody);
            return;
        }

        await ApiResponses.WriteAsync(context, new ReadInlineBody(true, "read", read.Path, read.Size, Convert.ToBase64String(read.Content!), "base64"), CurrentJsonContext.Default.ReadInlineBody);
    }

    private async Task WriteAsync(HttpContext context, VmRecord vm, IReadOnlyList<JsonFields> entries)
    {
        FileWrite[] parsed = [.. entries.Select(Parse)];
        if (parsed.FirstOrDefault(w => w.Size > FileWrites.MaxFileBytes) is { } oversized)
        {
            throw ContractException.PayloadTooLarge($"{oversized.Path} is {oversized.Size} bytes; the limit is {FileWrites.MaxFileBytes} bytes (100 MiB)", FileWrites.MaxFileBytes);
        }

        var results = new List<WriteResultBody>(parsed.Length);
        foreach (FileWrite write in parsed)
        {
            results.Add(await WriteEntryAsync(context, vm, write));
        }

        await ApiResponses.WriteAsync(context, new WriteBody(true, "write", results), CurrentJsonContext.Default.WriteBody);
    }

    private async Task<WriteResultBody> WriteEntryAsync(HttpContext context, VmRecord vm, FileWrite write)
    {
        try
        {
            if (faults.NextEntryFails())
            {
                return Failed(write, "unavailable", "injected transient write error, please retry");
            }

            FileWriteOutcome outcome = await writes.WriteAsync(vm, write, context.RequestAborted);
            return outcome switch
            {
                { Upload: { } upload } => new WriteResultBody(outcome.Path, outcome.Size, Complete: false, Written: false,
                    PresignedUrl: $"{context.Request.Origin()}/presigned/uploads/{outcome.UploadId}?{upload.Query}", UploadId: outcome.UploadId, ExpiresIn: upload.LifetimeSeconds, Method: "PUT"),
                _ when write is WriteChunk => new WriteResultBody(outcome.Path, outcome.Size, outcome.Complete, Written: outcome.Complete,
                    ReceivedBytes: outcome.Received?.Sum(r => r.End - r.Start) ?? 0, Ranges: [.. (outcome.Received ?? []).Select(r => new ByteRangeBody(r.Start, r.End))]),
                _ => new WriteResultBody(outcome.Path, outcome.Size, outcome.Complete, Written: outcome.Complete),
            };
        }
        catch (LocalArkerException refused)
        {
            ContractException error = ContractException.From(refused);
            return Failed(write, error.Code, error.Message);
        }
    }

    /// <summary>An entry by its fields: <c>presigned: true</c> starts an upload, <c>content</c> is a chunk, <c>upload_id</c> alone commits.</summary>
    private static FileWrite Parse(JsonFields entry)
    {
        string path = entry.String("path") ?? throw ContractException.BadRequest("each write needs 'path'", "writes[].path");
        long size = entry.Integer("size") ?? throw ContractException.BadRequest("each write needs 'size', the whole file's length in bytes", "writes[].size");
        if (size < 0)
        {
            throw ContractException.BadRequest($"'size' must not be negative (got {size})", "writes[].size");
        }

        if (entry.Has("presigned"))
        {
            entry.RejectUnknown(PresignedFields);
            return entry.Boolean("presigned", defaultValue: false)
                ? new StartUpload(path, size)
                : throw ContractException.BadRequest("'presigned' must be true when sent: send 'content' to write inline", "writes[].presigned");
        }

        string? uploadId = entry.String("upload_id");
        string? sha256 = Sha256(entry);
        if (entry.Has("content"))
        {
            entry.RejectUnknown(ChunkFields);
            if (uploadId is null)
            {
                throw ContractException.BadRequest("a chunk needs 'upload_id': one id shared by all chunks of the file", "writes[].upload_id");
            }

            long start = entry.Integer("start") ?? throw ContractException.BadRequest("a chunk needs 'start' and 'end', its byte range [start, end)", "writes[].start");
            long end = entry.Integer("end") ?? throw ContractException.BadRequest("a chunk needs 'start' and 'end', its byte range [start, end)", "writes[].end");
            return new WriteChunk(path, size, uploadId, start, end, entry.Base64("content")!, sha256);
        }

        entry.RejectUnknown(CommitFields);
        return uploadId is not null
            ? new CommitUpload(path, size, uploadId, sha256)
            : throw ContractException.BadRequest("a write needs 'content' (a chunk), 'presigned': true (an upload URL), or 'upload_id' (to commit an upload)", "writes[]");
    }

    private static string? Sha256(JsonFields entry)
    {
        string? sha256 = entry.String("sha256");
        return sha256 is null || (sha256.Length == 64 && sha256.All(char.IsAsciiHexDigit))
            ? sha256?.ToLowerInvariant()
            : throw ContractException.BadRequest("'sha256' must be 64 hexadecimal digits", "writes[].sha256");
    }

    private static string RequiredPath(JsonFields body) =>
        body.String("path") is { Length: > 0 } path ? path : throw ContractException.BadRequest("field 'path' is required: an absolute path in the VM", "path");

    private static WriteResultBody Failed(FileWrite write, string code, string message) =>
        new(write.Path, write.Size, Complete: false, Written: false, Error: new EntryErrorBody(code, message));
}
