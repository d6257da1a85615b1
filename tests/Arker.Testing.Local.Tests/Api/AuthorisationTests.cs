using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

public sealed class AuthorisationTests(LocalServerFixture fixture)
{
    [Theory]
    [InlineData(null)]
    [InlineData("ark_wrong_key")]
    public async Task MissingOrUnknownKey_IsUnauthorized(string? key)
    {
        ApiClient api = fixture.WithKey(key);

        (await api.GetAsync("/api/v1/vms/list")).Error(401, "unauthorized");
        (await api.PostAsync($"/api/v1/vms/{ApiClient.BaseVmId}/fork", new { })).Error(401, "unauthorized");
    }

    [Fact]
    public async Task AnotherOrganisationsPrivateVm_DoesNotExistForTheCaller()
    {
        string vm = await fixture.Api.ForkAsync();
        ApiClient other = fixture.OtherOrganisation;

        (await other.PostAsync($"/api/v1/vms/{vm}/fork", new { })).Error(404, "not_found");
        (await other.RunRawAsync(vm, "true")).Error(404, "not_found");
        (await other.ReadRawAsync(vm, "/home/user/x")).Error(404, "not_found");
        (await other.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/x", [1]))).Error(404, "not_found");
        (await other.DeleteAsync($"/api/v1/vms/{vm}")).Error(404, "not_found");
        (await fixture.Api.RunAsync(vm, "true")).Succeeded();
    }

    [Fact]
    public async Task AnotherOrganisationsPublicVm_CanBeForkedButNotUsed()
    {
        string vm = await fixture.Api.ForkAsync(name: "shared-template", isPublic: true);
        await fixture.Api.WriteAsync(vm, "/home/user/shared", "public"u8.ToArray());
        ApiClient other = fixture.OtherOrganisation;

        string theirFork = await other.ForkAsync(vm);

        Assert.Equal("public"u8.ToArray(), await other.ReadAsync(theirFork, "/home/user/shared"));
        (await other.RunRawAsync(vm, "true")).Error(403, "forbidden");
        (await other.ReadRawAsync(vm, "/home/user/shared")).Error(403, "forbidden");
        (await other.DeleteAsync($"/api/v1/vms/{vm}")).Error(403, "forbidden");
        (await fixture.Api.RunRawAsync(theirFork, "true")).Error(404, "not_found");
    }
}
