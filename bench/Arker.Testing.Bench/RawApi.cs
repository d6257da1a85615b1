using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Arker.Testing.Bench;

/// <summary>The wire API over one pooled HttpClient, with nothing in between.</summary>
internal sealed class RawApi(HttpClient http)
{
    public const string BaseVmId = "01KQBYKEV5WJ7YB010603T1DCT_d8c0";

    public HttpClient Http { get; } = http;

    public static RawApi Create(Uri baseUrl, string apiKey)
    {
        var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new RawApi(http);
    }

    public async Task<JsonElement> PostAsync(string path, object body)
    {
        using HttpResponseMessage response = await Http.PostAsJsonAsync(path, body);
        JsonElement json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return response.IsSuccessStatusCode ? json : throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {json}");
    }

    public async Task<string> ForkAsync(string from = BaseVmId) => (await PostAsync($"/arker-0.1/api/v1/vms/{from}/fork", new { })).GetProperty("vm_id").GetString()!;

    public Task<JsonElement> RunAsync(string vm, string command, string session = "0") => PostAsync($"/arker-0.1/api/v1/vms/{vm}/run", new { command, session_id = session });

    public async Task DeleteAsync(string vm) => (await Http.DeleteAsync($"/arker-0.1/api/v1/vms/{vm}")).EnsureSuccessStatusCode();

    /// <summary>The three-step presigned upload, streaming <paramref name="content"/>.</summary>
    public async Task UploadAsync(string vm, string path, Stream content, long size)
    {
        JsonElement start = (await PostAsync($"/arker-0.1/api/v1/vms/{vm}/sync", new { op = "write", writes = new[] { new { path, size, presigned = true } } })).GetProperty("results")[0];
        using var put = new StreamContent(content, 1024 * 1024);
        put.Headers.ContentLength = size;
        using (HttpResponseMessage response = await Http.PutAsync(start.GetProperty("presigned_url").GetString(), put))
        {
            response.EnsureSuccessStatusCode();
        }

        await PostAsync($"/arker-0.1/api/v1/vms/{vm}/sync", new { op = "write", writes = new[] { new { path, size, upload_id = start.GetProperty("upload_id").GetString() } } });
    }

    /// <summary>Reads a large file through its presigned URL into <paramref name="sink"/>.</summary>
    public async Task DownloadAsync(string vm, string path, Stream sink)
    {
        JsonElement read = await PostAsync($"/arker-0.1/api/v1/vms/{vm}/sync", new { op = "read", path });
        using HttpResponseMessage response = await Http.GetAsync(read.GetProperty("presigned_url").GetString(), HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using Stream body = await response.Content.ReadAsStreamAsync();
        await body.CopyToAsync(sink, 1024 * 1024);
    }
}
