using Arker.Testing.Local.Files;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api;

/// <summary>
/// The presigned transfer routes both generations hand out URLs to, at the origin (the URLs are
/// absolute): an upload's bytes in one PUT, a file's bytes in one GET, each allowed by its signature
/// alone, until it expires.
/// </summary>
internal sealed class PresignedTransfers(VmService vms, FileWrites writes, PresignedUrlSigner signer, VmPath area)
{
    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPut("/presigned/uploads/{uploadId}", PutUploadAsync);
        routes.MapGet("/presigned/files", GetFileAsync);
    }

    private async Task PutUploadAsync(HttpContext context, string uploadId)
    {
        string vmId = context.Request.Query["vm"].ToString();
        signer.Verify("PUT", vmId, uploadId, context.Request.Query["expires"], context.Request.Query["signature"]);
        await writes.ReceiveUploadAsync(vms.FindAny(vmId), uploadId, context.Request.Body, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task GetFileAsync(HttpContext context)
    {
        string vmId = context.Request.Query["vm"].ToString();
        string path = context.Request.Query["path"].ToString();
        signer.Verify("GET", vmId, path, context.Request.Query["expires"], context.Request.Query["signature"]);
        VmRecord vm = vms.FindAny(vmId);
        HttpResponse response = context.Response;
        await FileReads.CopyToAsync(vm, path, area, size =>
        {
            response.ContentType = "application/octet-stream";
            response.ContentLength = size;
        }, response.Body, context.RequestAborted);
    }
}
