using System.Net.Http.Headers;
using System.Text;

namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>
/// Raw HTTP against the local server, as one organisation's key: the tests see exactly what goes
/// over the wire. Helpers cover the common steps; every response can be inspected.
/// </summary>
public sealed class ApiClient
{
    public const string BaseVmId = "01KQBYKEV5WJ7YB010603T1DCT_d8c0";
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public ApiClient(HttpClient http, Uri baseUrl, string? apiKey)
    {
        Http = http;
        BaseUrl = baseUrl;
        ApiKey = apiKey;
    }

    public HttpClient Http { get; }

    public Uri BaseUrl { get; }

    public string? ApiKey { get; }

    public Task<ApiResponse> PostAsync(string path, object body) => SendJsonAsync(HttpMethod.Post, path, JsonSerializer.Serialize(body, Json));

    public Task<ApiResponse> PostRawAsync(string path, string body) => SendJsonAsync(HttpMethod.Post, path, body);

    /// <summary>Posts <paramref name="body"/> as it is: bytes that need not be valid UTF-8.</summary>
    public Task<ApiResponse> PostBytesAsync(string path, byte[] body) => SendAsync(HttpMethod.Post, path, new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });

    public Task<ApiResponse> GetAsync(string path) => SendJsonAsync(HttpMethod.Get, path, null);

    public Task<ApiResponse> DeleteAsync(string path) => SendJsonAsync(HttpMethod.Delete, path, null);

    public Task<ApiResponse> SendJsonAsync(HttpMethod method, string path, string? body) =>
        SendAsync(method, path, body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"));

    private async Task<ApiResponse> SendAsync(HttpMethod method, string path, HttpContent? content)
    {
        // Paths are below the base (the 0.1 protocol's base has a path of its own).
        using var request = new HttpRequestMessage(method, new Uri(BaseUrl.ToString().TrimEnd('/') + path)) { Content = content };
        if (ApiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }

        using HttpResponseMessage response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        string raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        JsonElement parsed = raw.Length == 0 ? default : JsonDocument.Parse(raw).RootElement;
        return new ApiResponse((int)response.StatusCode, parsed, raw);
    }

    public async Task<string> ForkAsync(string from = BaseVmId, string? name = null, bool? isPublic = null)
    {
        JsonElement body = (await PostAsync($"/api/v1/vms/{from}/fork", new { name, is_public = isPublic })).Ok();
        return body.GetProperty("vm_id").GetString()!;
    }

    public Task<ApiResponse> RunRawAsync(string vmId, string command, object? sessionId = null, double? timeout = null) =>
        PostAsync($"/api/v1/vms/{vmId}/run", new { command, session_id = sessionId, timeout });

    /// <summary>Runs a command and returns its result (asserting HTTP 200, not the exit code).</summary>
    public async Task<RunResult> RunAsync(string vmId, string command, object? sessionId = null, double? timeout = null) =>
        RunResult.From((await RunRawAsync(vmId, command, sessionId, timeout)).Ok());

    public Task<ApiResponse> WriteRawAsync(string vmId, params object[] entries) =>
        PostAsync($"/api/v1/vms/{vmId}/sync", new { op = "write", writes = entries });

    /// <summary>Writes a file inline in one entry and asserts it is complete.</summary>
    public async Task WriteAsync(string vmId, string path, byte[] content)
    {
        JsonElement result = (await WriteRawAsync(vmId, InlineEntry(path, content))).Ok().GetProperty("results")[0];
        Assert.True(result.GetProperty("complete").GetBoolean() && result.GetProperty("written").GetBoolean(), result.GetRawText());
    }

    public static object InlineEntry(string path, byte[] content, string? uploadId = null, long start = 0, long? end = null, long? size = null) => new
    {
        path,
        size = size ?? content.Length,
        upload_id = uploadId ?? Guid.NewGuid().ToString("N"),
        start,
        end = end ?? start + content.Length,
        content = Convert.ToBase64String(content),
    };

    public Task<ApiResponse> ReadRawAsync(string vmId, string path) => PostAsync($"/api/v1/vms/{vmId}/sync", new { op = "read", path });

    /// <summary>Reads a file inline or through its presigned URL.</summary>
    public async Task<byte[]> ReadAsync(string vmId, string path)
    {
        JsonElement body = (await ReadRawAsync(vmId, path)).Ok();
        if (body.TryGetProperty("content", out JsonElement content))
        {
            return body.GetProperty("encoding").GetString() == "base64"
                ? Convert.FromBase64String(content.GetString()!)
                : Encoding.UTF8.GetBytes(content.GetString()!);
        }

        string url = body.GetProperty("presigned_url").GetString()!;
        return await Http.GetByteArrayAsync(url, TestContext.Current.CancellationToken);
    }
}
