using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

/// <summary>The Arker API 0.1 has a base of its own (its clients' base URL and list host); its routes are also at the origin for now.</summary>
public sealed class ProtocolBaseTests(LocalServerFixture fixture)
{
    [Fact]
    public async Task TheV01Routes_AreServedBelowTheirOwnBase_AndAtTheOriginForNow()
    {
        var atOrigin = new ApiClient(fixture.Http, fixture.Server.BaseUrl, LocalServerFixture.KeyA);

        string vm = await fixture.Api.ForkAsync(); // below {origin}/arker-0.1
        RunResult throughOrigin = await atOrigin.RunAsync(vm, "echo the same VM");

        Assert.Equal(new Uri(fixture.Server.BaseUrl, "/arker-0.1"), fixture.Server.V01BaseUrl);
        Assert.Equal("the same VM\n", throughOrigin.StdoutText);
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
