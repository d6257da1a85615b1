using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

public sealed class MalformedRequestTests(LocalServerFixture fixture)
{
    private readonly ApiClient _api = fixture.Api;

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("{\"command\": ")]
    public async Task Run_BodyThatIsNotAJsonObject_IsBadRequest(string body)
    {
        string vm = await _api.ForkAsync();

        (await _api.PostRawAsync($"/api/v1/vms/{vm}/run", body)).Error(400, "bad_request");
    }

    [Theory]
    [InlineData("{\"command\": 42}", "command")]
    [InlineData("{}", "command")]
    [InlineData("{\"command\": \"true\", \"session_id\": true}", "session_id")]
    [InlineData("{\"command\": \"true\", \"timeout\": \"soon\"}", "timeout")]
    [InlineData("{\"command\": \"true\", \"timeout\": -1}", "timeout")]
    [InlineData("{\"command\": \"true\", \"timeout\": 1e308}", "timeout")]
    [InlineData("{\"command\": \"\"}", "command")]
    [InlineData("{\"command\": \"  \\n \"}", "command")]
    public async Task Run_WrongOrMissingField_IsBadRequestNamingTheField(string body, string field)
    {
        string vm = await _api.ForkAsync();

        ApiResponse response = (await _api.PostRawAsync($"/api/v1/vms/{vm}/run", body)).Error(400, "bad_request");

        Assert.Contains($"'{field}'", response.ErrorMessage);
    }

    [Theory]
    [InlineData("{\"is_public\": \"yes\"}", "is_public")]
    [InlineData("{\"name\": 7}", "name")]
    public async Task Fork_WrongFieldType_IsBadRequestNamingTheField(string body, string field)
    {
        ApiResponse response = (await _api.PostRawAsync($"/api/v1/vms/{ApiClient.BaseVmId}/fork", body)).Error(400, "bad_request");

        Assert.Contains($"'{field}'", response.ErrorMessage);
    }

    [Fact]
    public async Task Fork_NameLongerThan255Characters_IsBadRequestSayingTheLimit()
    {
        ApiResponse response = (await _api.PostAsync($"/api/v1/vms/{ApiClient.BaseVmId}/fork", new { name = new string('a', 100_000) })).Error(400, "bad_request");

        Assert.Contains("field 'name' must be at most 255 characters (got 100000)", response.ErrorMessage);
    }

    [Theory]
    [InlineData("run", "{\"command\": \"echo \xFF\xFE\"}", "command")]
    [InlineData("fork", "{\"name\": \"\xC3\"}", "name")]
    public async Task AStringThatIsNotValidUtf8_IsBadRequestNamingTheField(string route, string latin1Body, string field)
    {
        string vm = await _api.ForkAsync();

        ApiResponse response = (await _api.PostBytesAsync($"/api/v1/vms/{vm}/{route}", System.Text.Encoding.Latin1.GetBytes(latin1Body))).Error(400, "bad_request");

        Assert.Contains($"field '{field}' is not valid UTF-8", response.ErrorMessage);
    }

    [Theory]
    [InlineData("{\"op\": \"write\"}", "writes")]
    [InlineData("{\"op\": \"write\", \"writes\": {}}", "writes")]
    [InlineData("{\"op\": \"write\", \"writes\": [1]}", "writes[0]")]
    [InlineData("{\"op\": \"read\"}", "path")]
    [InlineData("{\"op\": \"read\", \"path\": 5}", "path")]
    [InlineData("{\"path\": \"/home/user/x\"}", "op")]
    public async Task Sync_WrongOrMissingField_IsBadRequestNamingTheField(string body, string field)
    {
        string vm = await _api.ForkAsync();

        ApiResponse response = (await _api.PostRawAsync($"/api/v1/vms/{vm}/sync", body)).Error(400, "bad_request");

        Assert.Contains($"'{field}'", response.ErrorMessage);
    }

    [Fact]
    public async Task Sync_WriteEntryWithAWrongFieldType_IsAPerEntryBadRequestNamingIt()
    {
        string vm = await _api.ForkAsync();

        JsonElement result = (await _api.PostRawAsync($"/api/v1/vms/{vm}/sync", "{\"op\":\"write\",\"writes\":[{\"path\":\"/home/user/x\",\"size\":\"3\"}]}")).Ok().GetProperty("results")[0];

        Assert.Contains("'writes[0].size'", result.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Sync_UnknownOp_IsUnsupported()
    {
        string vm = await _api.ForkAsync();

        (await _api.PostAsync($"/api/v1/vms/{vm}/sync", new { op = "delete", path = "/home/user/x" })).Error(422, "unsupported_op");
    }

    [Fact]
    public async Task UnknownApiRoute_IsNotImplemented()
    {
        (await _api.PostAsync("/api/v1/vms/snapshot", new { })).Error(501, "not_implemented");
        (await _api.GetAsync("/api/v2/anything")).Error(501, "not_implemented");
    }

    [Fact]
    public async Task Healthz_AnswersWithTheIsolationLevel()
    {
        JsonElement body = (await new ApiClient(fixture.Http, fixture.Server.BaseUrl, null).GetAsync("/healthz")).Ok(); // at the origin

        Assert.Contains("bubblewrap", body.GetProperty("isolation").GetString());
    }
}
