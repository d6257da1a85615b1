using System.Net.Http.Json;
using System.Text.Json;

namespace Arker.Testing.Bench;

/// <summary>One API generation over one pooled HttpClient, with nothing in between: what both share.</summary>
internal abstract class WireApi(HttpClient http)
{
    public HttpClient Http { get; } = http;

    /// <summary>The sync route of <paramref name="vm"/> in this generation.</summary>
    protected abstract string SyncRoute(string vm);

    public async Task<JsonElement> PostAsync(string path, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using HttpResponseMessage response = await Http.SendAsync(request);
        JsonElement json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return response.IsSuccessStatusCode ? json : throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {json}");
    }

    /// <summary>The three-step presigned upload (start, PUT, commit), streaming <paramref name="content"/>.</summary>
    public async Task UploadAsync(string vm, string path, Stream content, long size)
    {
        JsonElement start = (await PostAsync(SyncRoute(vm), new { op = "write", writes = new[] { new { path, size, presigned = true } } })).GetProperty("results")[0];
        using var put = new StreamContent(content, 1024 * 1024);
        put.Headers.ContentLength = size;
        using (HttpResponseMessage response = await Http.PutAsync(start.GetProperty("presigned_url").GetString(), put))
        {
            response.EnsureSuccessStatusCode();
        }

        await PostAsync(SyncRoute(vm), new { op = "write", writes = new[] { new { path, size, upload_id = start.GetProperty("upload_id").GetString() } } });
    }

    /// <summary>Reads a large file through its presigned URL into <paramref name="sink"/>.</summary>
    public async Task DownloadAsync(string vm, string path, Stream sink)
    {
        JsonElement read = await PostAsync(SyncRoute(vm), new { op = "read", path });
        using HttpResponseMessage response = await Http.GetAsync(read.GetProperty("presigned_url").GetString(), HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using Stream body = await response.Content.ReadAsStreamAsync();
        await body.CopyToAsync(sink, 1024 * 1024);
    }
}
