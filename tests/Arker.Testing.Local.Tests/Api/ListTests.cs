using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

public sealed class ListTests(LocalServerFixture fixture)
{
    private readonly ApiClient _api = fixture.Api;

    [Fact]
    public async Task List_PagesFiltersAndSorts()
    {
        string prefix = "list-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var created = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            created.Add(await _api.ForkAsync(name: prefix + i));
        }

        JsonElement newest = (await _api.GetAsync($"/api/v1/vms/list?q={prefix}&limit=2")).Ok();
        JsonElement second = (await _api.GetAsync($"/api/v1/vms/list?q={prefix}&limit=2&offset=2&sort=-created_at")).Ok();
        JsonElement oldest = (await _api.GetAsync($"/api/v1/vms/list?q={prefix}&sort=created_at")).Ok();

        Assert.Equal(5, newest.GetProperty("total").GetInt32());
        Assert.Equal([created[4], created[3]], Ids(newest));
        Assert.Equal([created[2], created[1]], Ids(second));
        Assert.Equal(created, Ids(oldest));
        JsonElement item = oldest.GetProperty("items")[0];
        Assert.Equal(prefix + "0", item.GetProperty("name").GetString());
        Assert.Equal("arkuntu", item.GetProperty("base_image").GetString());
        Assert.Equal("local", item.GetProperty("region").GetString());
        Assert.True(item.TryGetProperty("created_at", out _));
    }

    [Fact]
    public async Task List_ShowsOnlyTheCallersOrganisation()
    {
        string name = "org-only-" + Guid.NewGuid().ToString("N");
        await fixture.OtherOrganisation.ForkAsync(name: name);

        JsonElement mine = (await _api.GetAsync($"/api/v1/vms/list?q={name}")).Ok();
        JsonElement theirs = (await fixture.OtherOrganisation.GetAsync($"/api/v1/vms/list?q={name}")).Ok();

        Assert.Equal(0, mine.GetProperty("total").GetInt32());
        Assert.Equal(1, theirs.GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=ten")]
    [InlineData("offset=-1")]
    [InlineData("sort=name")]
    public async Task List_InvalidParameter_IsBadRequestNamingIt(string query)
    {
        ApiResponse response = (await _api.GetAsync($"/api/v1/vms/list?{query}")).Error(400, "bad_request");

        Assert.Contains(query[..query.IndexOf('=', StringComparison.Ordinal)], response.ErrorMessage);
    }

    private static List<string> Ids(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("vm_id").GetString()!).ToList();
}
