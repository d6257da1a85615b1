using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

/// <summary>
/// Two generations on one origin: the current API at <c>{origin}/api</c>, where the service has it,
/// and the Arker API 0.1 at a base of its own, <c>{origin}/arker-0.1</c>; one set of VMs behind both.
/// </summary>
public sealed class ProtocolBaseTests(LocalServerFixture fixture)
{
    [Fact]
    public async Task OneVm_IsReachedThroughBothGenerations_EachAtItsOwnBase()
    {
        var current = new ApiClient(fixture.Http, fixture.Server.ApiBaseUrl, LocalServerFixture.KeyA);

        string vm = await fixture.Api.ForkAsync(); // below {origin}/arker-0.1
        JsonElement run = (await current.PostAsync($"/v1/vms/{vm}/runs", new { command = "echo the same VM" })).Ok();

        Assert.Equal(new Uri(fixture.Server.BaseUrl, "/arker-0.1"), fixture.Server.V01BaseUrl);
        Assert.Equal(new Uri(fixture.Server.BaseUrl, "/api"), fixture.Server.ApiBaseUrl);
        Assert.Equal("the same VM\n", run.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task AV01Route_AtTheOrigin_IsTheCurrentApisNotFound()
    {
        var atOrigin = new ApiClient(fixture.Http, fixture.Server.BaseUrl, LocalServerFixture.KeyA);
        string vm = await fixture.Api.ForkAsync();

        ApiResponse response = await atOrigin.PostAsync($"/api/v1/vms/{vm}/run", new { command = "true" });

        Assert.Equal((404, "not_found"), (response.Status, response.ErrorCode));
        Assert.Equal(["error"], response.Body.EnumerateObject().Select(p => p.Name)); // the current envelope: one key
    }

    [Fact]
    public async Task BelowTheV01Base_KeysAreChecked_AndUnknownRoutesAreNotImplemented()
    {
        string vm = await fixture.Api.ForkAsync();

        (await fixture.WithKey(null).PostAsync($"/api/v1/vms/{vm}/run", new { command = "true" })).Error(401, "unauthorized");
        (await fixture.WithKey("ark_wrong").GetAsync("/api/v1/vms/list")).Error(401, "unauthorized");
        (await fixture.Api.GetAsync("/api/v2/anything")).Error(501, "not_implemented");
    }
}
