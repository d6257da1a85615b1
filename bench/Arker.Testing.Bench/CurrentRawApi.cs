using System.Text.Json;

namespace Arker.Testing.Bench;

/// <summary>The current Arker API (base <c>{origin}/api</c>) over one pooled HttpClient, with nothing in between.</summary>
internal sealed class CurrentRawApi(HttpClient http) : WireApi(http)
{
    public async Task<string> ForkAsync(string from = RawApi.BaseVmId) =>
        (await PostAsync("/api/v1/fork", new { source_vm_id = from }, Guid.NewGuid().ToString("N"))).GetProperty("vm_id").GetString()!;

    public Task<JsonElement> RunAsync(string vm, string command) =>
        PostAsync($"/api/v1/vms/{vm}/runs", new { command }, Guid.NewGuid().ToString("N"));

    public async Task DeleteAsync(string vm) => (await Http.DeleteAsync($"/api/v1/vms/{vm}")).EnsureSuccessStatusCode();

    protected override string SyncRoute(string vm) => $"/api/v1/vms/{vm}/sync";
}
