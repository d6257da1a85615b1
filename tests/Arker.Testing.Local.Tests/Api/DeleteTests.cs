using System.Diagnostics;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

public sealed class DeleteTests(LocalServerFixture fixture)
{
    private readonly ApiClient _api = fixture.Api;

    [Fact]
    public async Task Delete_ThenAgain_IsNotFound()
    {
        string vm = await _api.ForkAsync();

        JsonElement deleted = (await _api.DeleteAsync($"/api/v1/vms/{vm}")).Ok();

        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        (await _api.DeleteAsync($"/api/v1/vms/{vm}")).Error(404, "not_found");
    }

    [Fact]
    public async Task Delete_DoesNotAffectForks()
    {
        string parent = await _api.ForkAsync();
        await _api.WriteAsync(parent, "/home/user/f", "kept"u8.ToArray());
        string child = await _api.ForkAsync(parent);

        (await _api.DeleteAsync($"/api/v1/vms/{parent}")).Ok();

        Assert.Equal("kept"u8.ToArray(), await _api.ReadAsync(child, "/home/user/f"));
        (await _api.RunAsync(child, "cat ~/f")).Succeeded();
    }

    [Fact]
    public async Task Delete_WithARunInFlight_KillsTheRun()
    {
        string vm = await _api.ForkAsync();
        Task<ApiResponse> running = _api.RunRawAsync(vm, "sleep 6302");
        await Eventually.UntilAsync(() => HostProcesses.Count("sleep 6302") == 1, "the command's process starting");

        (await _api.DeleteAsync($"/api/v1/vms/{vm}")).Ok();
        await running.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken); // ended by the delete, not by its 6302 s

        Assert.Equal(0, HostProcesses.Count("sleep 6302"));
    }

    [Fact]
    public async Task Delete_ThePublicBaseImage_IsForbidden()
    {
        (await _api.DeleteAsync($"/api/v1/vms/{ApiClient.BaseVmId}")).Error(403, "forbidden");
    }
}
