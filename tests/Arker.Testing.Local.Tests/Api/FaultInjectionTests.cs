using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

public sealed class FaultInjectionTests(LocalServerFixture fixture)
{
    [Fact]
    public async Task FaultRateOne_FailsEveryRequestWithATransientFault()
    {
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { FaultRate = 1, FaultSeed = 7 }, TestContext.Current.CancellationToken);
        var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
        var seen = new HashSet<string>();

        for (int i = 0; i < 60; i++)
        {
            seen.Add(await DescribeOutcomeAsync(api));
        }

        Assert.Subset(new HashSet<string> { "429", "502", "503", "504", "500 internal SlowDown", "dropped" }, seen);
        Assert.Equal(6, seen.Count);
    }

    [Fact]
    public async Task SameSeed_GivesTheSameSequenceOfFaults()
    {
        var sequences = new List<string>();
        foreach (int attempt in new[] { 1, 2 })
        {
            await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { FaultRate = 0.5, FaultSeed = 42 }, TestContext.Current.CancellationToken);
            var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
            var outcomes = new List<string>();
            for (int i = 0; i < 30; i++)
            {
                outcomes.Add(await DescribeOutcomeAsync(api));
            }

            sequences.Add(string.Join(",", outcomes));
        }

        Assert.Equal(sequences[0], sequences[1]);
        Assert.Contains("200", sequences[0]);
        Assert.NotEqual(30, sequences[0].Split(',').Count(o => o == "200"));
    }

    [Fact]
    public async Task WriteEntries_FailTransientlyInsideA200()
    {
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { FaultRate = 0.5, FaultSeed = 3 }, TestContext.Current.CancellationToken);
        var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
        int entryFaults = 0;

        for (int i = 0; i < 40 && entryFaults == 0; i++)
        {
            ApiResponse forked = await SafeAsync(() => api.PostAsync($"/api/v1/vms/{ApiClient.BaseVmId}/fork", new { }));
            if (forked.Status != 200)
            {
                continue;
            }

            string vm = forked.Field("vm_id");
            ApiResponse written = await SafeAsync(() => api.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/f", [1, 2, 3])));
            if (written.Status == 200 && written.Body.GetProperty("results")[0].TryGetProperty("error", out JsonElement error))
            {
                Assert.Equal("internal", error.GetProperty("code").GetString());
                Assert.Contains("SlowDown", error.GetProperty("message").GetString());
                entryFaults++;
            }
        }

        Assert.Equal(1, entryFaults);
    }

    private static async Task<string> DescribeOutcomeAsync(ApiClient api)
    {
        try
        {
            ApiResponse response = await api.GetAsync("/api/v1/vms/list");
            return response.Status switch
            {
                200 => "200",
                500 when response.ErrorCode == "internal" && response.ErrorMessage!.Contains("SlowDown", StringComparison.Ordinal) => "500 internal SlowDown",
                _ => response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
        catch (HttpRequestException)
        {
            return "dropped";
        }
    }

    private static async Task<ApiResponse> SafeAsync(Func<Task<ApiResponse>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpRequestException)
        {
            return new ApiResponse(0, default, "");
        }
    }
}
