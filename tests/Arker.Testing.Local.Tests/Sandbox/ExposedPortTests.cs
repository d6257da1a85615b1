using System.Net;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// Guest ports exposed to this machine (<c>POST /api/v1/vms/{id}/ports</c>, a local extension): a
/// service in the VM answers the test at a URL on 127.0.0.1, only for the ports exposed, and only
/// while the VM lives.
/// </summary>
public sealed class ExposedPortTests(LocalServerFixture fixture)
{
    private const string StartService = "echo served > ~/index.html && cd ~ && (python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &) && for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.05; done";
    private readonly ApiClient _v01 = fixture.Api;
    private readonly ApiClient _api = new(fixture.Http, fixture.Server.ApiBaseUrl, fixture.Api.ApiKey);

    [Fact]
    public async Task AServiceInTheVm_AnswersTheTest_AtTheExposedUrl_AgainAndAgain()
    {
        string vm = await _v01.ForkAsync();
        (await _v01.RunAsync(vm, StartService)).Succeeded();

        JsonElement exposed = (await _api.PostAsync($"/v1/vms/{vm}/ports", new { port = 8080 })).Ok();
        var url = new Uri(exposed.GetProperty("url").GetString()!);
        using var http = new HttpClient();
        string[] answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => http.GetStringAsync(new Uri(url, "index.html"), TestContext.Current.CancellationToken)));
        JsonElement again = (await _api.PostAsync($"/v1/vms/{vm}/ports", new { port = 8080 })).Ok();
        JsonElement listed = (await _api.GetAsync($"/v1/vms/{vm}/ports")).Ok();

        Assert.Equal(8080, exposed.GetProperty("port").GetInt32());
        Assert.Equal(("127.0.0.1", "http"), (url.Host, url.Scheme));
        Assert.All(answers, answer => Assert.Equal("served\n", answer));
        Assert.Equal(url.ToString(), again.GetProperty("url").GetString());
        Assert.Equal(url.ToString(), Assert.Single(listed.GetProperty("ports").EnumerateArray()).GetProperty("url").GetString());
    }

    [Fact]
    public async Task APortNothingListensOn_ClosesConnections_AndAPortNotExposedHasNoUrl()
    {
        string vm = await _v01.ForkAsync();
        (await _v01.RunAsync(vm, StartService)).Succeeded();
        var quiet = new Uri((await _api.PostAsync($"/v1/vms/{vm}/ports", new { port = 9999 })).Ok().GetProperty("url").GetString()!);
        using var http = new HttpClient();

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(quiet, TestContext.Current.CancellationToken));
        JsonElement listed = (await _api.GetAsync($"/v1/vms/{vm}/ports")).Ok();
        Assert.Equal([9999], listed.GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("port").GetInt32()));
        (await _api.DeleteAsync($"/v1/vms/{vm}/ports/8080")).CurrentError(404, "not_found");
    }

    [Fact]
    public async Task Closing_OrDeletingTheVm_StopsThePort()
    {
        string vm = await _v01.ForkAsync();
        string other = await _v01.ForkAsync();
        (await _v01.RunAsync(vm, StartService)).Succeeded();
        (await _v01.RunAsync(other, StartService)).Succeeded();
        var closed = new Uri((await _api.PostAsync($"/v1/vms/{vm}/ports", new { port = 8080 })).Ok().GetProperty("url").GetString()!);
        var deleted = new Uri((await _api.PostAsync($"/v1/vms/{other}/ports", new { port = 8080 })).Ok().GetProperty("url").GetString()!);
        using var http = new HttpClient();
        Assert.Equal("served\n", await http.GetStringAsync(new Uri(closed, "index.html"), TestContext.Current.CancellationToken));

        (await _api.DeleteAsync($"/v1/vms/{vm}/ports/8080")).Ok();
        (await _api.DeleteAsync($"/v1/vms/{other}")).Ok();

        foreach (Uri url in new[] { closed, deleted })
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(url, TestContext.Current.CancellationToken));
            Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, (refused.InnerException as System.Net.Sockets.SocketException)?.SocketErrorCode);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public async Task ABadPortOrAnUnknownVm_IsAClearError(int port)
    {
        string vm = await _v01.ForkAsync();

        (await _api.PostAsync($"/v1/vms/{vm}/ports", new { port })).CurrentError(400, "bad_request");
        (await _api.PostAsync($"/v1/vms/{vm}/ports", new { })).CurrentError(400, "bad_request");
        (await _api.PostAsync("/v1/vms/no-such-vm/ports", new { port = 8080 })).CurrentError(404, "not_found");
    }
}
