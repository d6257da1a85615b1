using Arker.Testing.Local.Files;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api;

/// <summary>The sync route (read and write) and the presigned transfer URLs it hands out.</summary>
internal sealed class SyncEndpoints
{
    /// <summary>Inline writes are base64 in JSON: 4 MiB chunks are the norm; a whole request stays under this.</summary>
    private const long MaxJsonBodyBytes = 160L * 1024 * 1024;
    private readonly VmService _vms;
    private readonly FileService _files;
    private readonly FaultInjector _faults;

    public SyncEndpoints(VmService vms, FileService files, FaultInjector faults)
    {
        _vms = vms;
        _files = files;
        _faults = faults;
    }

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/vms/{id}/sync", SyncAsync);
        routes.MapPut("/presigned/uploads/{uploadId}", PutUploadAsync);
        routes.MapGet("/presigned/files", GetFileAsync);
    }

    private async Task SyncAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        string op = body.String("op", required: true)!;
        VmRecord vm = _vms.FindOwned(context.Organisation(), id);
        switch (op)
        {
            case "read":
                string path = body.String("path", required: true)!;
                ReadResponse read = await _files.ReadAsync(vm, path, context.Request.Origin(), context.RequestAborted);
                await ApiResponses.WriteAsync(context, read, ApiJsonContext.Default.ReadResponse);
                break;
            case "write":
                IReadOnlyList<JsonFields> entries = body.Objects("writes");
                foreach (JsonFields entry in entries)
                {
                    FileService.CheckSize(entry);
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

    /// <summary>One entry; its failure is reported in its result, not as the request's status.</summary>
    private async Task<WriteResult> WriteEntryAsync(VmRecord vm, JsonFields entry, HttpContext context)
    {
        string? path = null;
        try
        {
            path = entry.String("path");
            if (_faults.NextEntryFails())
            {
                return Failed(path, "internal", "SlowDown: injected transient write error, please retry");
            }

            return await _files.WriteAsync(vm, entry, context.Request.Origin(), context.RequestAborted);
        }
        catch (ApiException ex)
        {
            return Failed(path, ex.Code, ex.Message);
        }
    }

    private async Task PutUploadAsync(HttpContext context, string uploadId)
    {
        string vmId = context.Request.Query["vm"].ToString();
        _files.Signer.Verify("PUT", vmId, uploadId, context.Request.Query["expires"], context.Request.Query["signature"]);
        await _files.ReceiveUploadAsync(vmId, uploadId, context.Request.Body, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task GetFileAsync(HttpContext context)
    {
        string vmId = context.Request.Query["vm"].ToString();
        string path = context.Request.Query["path"].ToString();
        _files.Signer.Verify("GET", vmId, path, context.Request.Query["expires"], context.Request.Query["signature"]);
        VmRecord vm = _vms.FindAny(vmId);
        await FileService.ServeDownloadAsync(vm, path, context.Response, context.RequestAborted);
    }

    private static WriteResult Failed(string? path, string code, string message) =>
        new(path, null, Complete: false, Written: false, Error: new ErrorBody(code, message));
}
