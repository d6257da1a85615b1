using Arker.Testing.Local.Files;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V01;

/// <summary>
/// The 0.1 sync route (read and write): parses each request into typed reads and writes for
/// <see cref="FileReads"/> and <see cref="FileWrites"/>, and their outcomes into the 0.1 envelope
/// (transfers too large to inline go through <see cref="PresignedTransfers"/>).
/// </summary>
internal sealed class SyncEndpoints(VmService vms, FileReads reads, FileWrites writes, FaultInjector faults)
{
    /// <summary>Inline writes are base64 in JSON: 4 MiB chunks are the norm; a whole request stays under this.</summary>
    private const long MaxJsonBodyBytes = 160L * 1024 * 1024;

    /// <summary>The sync route, below a generation's base (<paramref name="routes"/>).</summary>
    public void Map(IEndpointRouteBuilder routes) => routes.MapPost("/api/v1/vms/{id}/sync", SyncAsync);

    private async Task SyncAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        string op = body.String("op", required: true)!;
        VmRecord vm = vms.FindOwned(context.Organisation(), id);
        switch (op)
        {
            case "read":
                FileRead read = await reads.ReadAsync(vm, body.String("path", required: true)!, context.RequestAborted);
                await ApiResponses.WriteAsync(context, ToResponse(read, vm, context.Request.Origin()), ApiJsonContext.Default.ReadResponse);
                break;
            case "write":
                IReadOnlyList<JsonFields> entries = body.Objects("writes");
                foreach (JsonFields entry in entries)
                {
                    RefuseOversized(entry);
                }

                var results = new List<WriteResult>(entries.Count);
                foreach (JsonFields entry in entries)
                {
                    results.Add(await WriteEntryAsync(vm, entry, context));
                }

                await ApiResponses.WriteAsync(context, new WriteResponse(results), ApiJsonContext.Default.WriteResponse);
                break;
            default:
                throw new ApiException("unsupported_op", 422, $"field 'op' must be 'read' or 'write' (got '{op}')");
        }
    }

    /// <summary>A declared size over the limit refuses the whole request before anything is written.</summary>
    private static void RefuseOversized(JsonFields entry)
    {
        long? size;
        try
        {
            size = entry.Integer("size");
        }
        catch (ApiFailure)
        {
            return; // a malformed size is that entry's own error, reported in its result
        }

        if (size > FileWrites.MaxFileBytes)
        {
            throw ApiException.TooLarge($"file is {size} bytes; the limit is {FileWrites.MaxFileBytes} bytes (100 MiB)");
        }
    }

    /// <summary>One entry; its failure is reported in its result, not as the request's status.</summary>
    private async Task<WriteResult> WriteEntryAsync(VmRecord vm, JsonFields entry, HttpContext context)
    {
        string? path = null;
        try
        {
            path = entry.String("path");
            if (faults.NextEntryFails())
            {
                return Failed(path, "internal", "SlowDown: injected transient write error, please retry");
            }

            FileWriteOutcome outcome = await writes.WriteAsync(vm, ParseWrite(entry), context.RequestAborted);
            return ToResult(outcome, context.Request.Origin());
        }
        catch (Exception ex) when (ex is ApiException or ApiFailure or LocalArkerException)
        {
            ApiException error = ApiException.From(ex);
            return Failed(path, error.Code, error.Message);
        }
    }

    /// <summary>A write entry: <c>presigned: true</c> starts an upload, <c>content</c> is bytes (whole or a chunk), <c>upload_id</c> alone commits.</summary>
    private static FileWrite ParseWrite(JsonFields entry)
    {
        string path = entry.String("path", required: true)!;
        long size = entry.Integer("size", required: true)!.Value;
        if (entry.Boolean("presigned", defaultValue: false))
        {
            return new StartUpload(path, size);
        }

        string? uploadId = entry.String("upload_id");
        if (entry.Has("content"))
        {
            long start = entry.Integer("start") ?? 0;
            long end = entry.Integer("end") ?? size;
            return new WriteChunk(path, size, uploadId, start, end, entry.Base64("content") ?? []);
        }

        return uploadId is not null
            ? new CommitUpload(path, size, uploadId)
            : throw ApiException.BadRequest("a write entry needs 'content' (inline), 'presigned': true (to get an upload URL), or 'upload_id' (to commit an upload)");
    }

    private static ReadResponse ToResponse(FileRead read, VmRecord vm, string origin)
    {
        if (read.Download is { } download)
        {
            return new ReadResponse(read.Path, read.Size, null, null, $"{origin}/presigned/files?path={Uri.EscapeDataString(read.Path)}&{download.Query}", download.LifetimeSeconds, "GET");
        }

        (string text, string encoding) = ApiResponses.EncodeOutput(read.Content!);
        return new ReadResponse(read.Path, read.Size, text, encoding, null, null, null);
    }

    private static WriteResult ToResult(FileWriteOutcome outcome, string origin) => outcome.Upload is { } upload
        ? new WriteResult(outcome.Path, outcome.Size, Complete: false, Written: false, outcome.UploadId, $"{origin}/presigned/uploads/{outcome.UploadId}?{upload.Query}", upload.LifetimeSeconds, "PUT")
        : new WriteResult(outcome.Path, outcome.Size, outcome.Complete, Written: outcome.Complete, outcome.UploadId is { } id && !outcome.Complete ? id : null);

    private static WriteResult Failed(string? path, string code, string message) =>
        new(path, null, Complete: false, Written: false, Error: new ErrorBody(code, message));
}
