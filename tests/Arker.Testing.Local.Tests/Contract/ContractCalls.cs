using System.Net.Http.Headers;
using System.Text;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Contract;

/// <summary>
/// Requests to the current API (<c>{origin}/api</c>) whose every response is checked against the
/// contract's schema for its operation and status; the problems found are collected for one assertion.
/// </summary>
public sealed class ContractCalls(LocalServerFixture fixture, string? apiKey = LocalServerFixture.KeyA)
{
    private readonly List<string> _problems = [];

    /// <summary>Every contract problem found so far, one line each.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>The operations these calls reached, by HTTP status.</summary>
    public HashSet<(string Template, int Status)> Seen { get; } = [];

    public Task<ApiResponse> GetAsync(string template, string path) => SendAsync(HttpMethod.Get, template, path, null);

    public Task<ApiResponse> DeleteAsync(string template, string path) => SendAsync(HttpMethod.Delete, template, path, null);

    public Task<ApiResponse> PostAsync(string template, string path, object body, string? idempotencyKey = null) =>
        SendAsync(HttpMethod.Post, template, path, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body)), idempotencyKey);

    public Task<ApiResponse> PatchAsync(string template, string path, object body) =>
        SendAsync(HttpMethod.Patch, template, path, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body)));

    /// <summary>Sends <paramref name="body"/> as it is (malformed JSON, bytes that are not UTF-8).</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string template, string path, byte[]? body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(fixture.Server.ApiBaseUrl + path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        }

        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using HttpResponseMessage response = await fixture.Http.SendAsync(request, TestContext.Current.CancellationToken);
        string raw = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        int status = (int)response.StatusCode;
        Seen.Add((template, status));
        _problems.AddRange(ContractDocument.Check(method.Method, template, status, raw).Select(p => $"{method} {template} → {status}: {p}"));
        if (status == 401 && response.Headers.WwwAuthenticate.Count == 0)
        {
            _problems.Add($"{method} {template} → 401 without WWW-Authenticate");
        }

        if (status == 405 && response.Content.Headers.Allow.Count == 0)
        {
            _problems.Add($"{method} {template} → 405 without Allow");
        }

        return new ApiResponse(status, raw.Length == 0 ? default : JsonDocument.Parse(raw).RootElement, raw);
    }
}
