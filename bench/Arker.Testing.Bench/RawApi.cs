using System.Net.Http.Headers;
using System.Text.Json;

namespace Arker.Testing.Bench;

/// <summary>The Arker API 0.1 (base <c>{origin}/arker-0.1</c>) over one pooled HttpClient, with nothing in between.</summary>
internal sealed class RawApi(HttpClient http) : WireApi(http)
{
    public const string BaseVmId = "01KQBYKEV5WJ7YB010603T1DCT_d8c0";

    public static RawApi Create(Uri baseUrl, string apiKey)
    {
        var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new RawApi(http);
    }

    public async Task<string> ForkAsync(string from = BaseVmId) => (await PostAsync($"/arker-0.1/api/v1/vms/{from}/fork", new { })).GetProperty("vm_id").GetString()!;

    public Task<JsonElement> RunAsync(string vm, string command, string session = "0") => PostAsync($"/arker-0.1/api/v1/vms/{vm}/run", new { command, session_id = session });

    public async Task DeleteAsync(string vm) => (await Http.DeleteAsync($"/arker-0.1/api/v1/vms/{vm}")).EnsureSuccessStatusCode();

    protected override string SyncRoute(string vm) => $"/arker-0.1/api/v1/vms/{vm}/sync";
}
