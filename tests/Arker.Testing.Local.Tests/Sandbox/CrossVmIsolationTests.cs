using Arker.Testing.TestSupport;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// What one VM does never reaches into another: a command runs to its end while other VMs come,
/// use the network and go, on a server that keeps nothing of theirs.
/// </summary>
public sealed class CrossVmIsolationTests : IDisposable
{
    private const string Key = "ark_isolation";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>
    /// The server retires idle thread-pool threads after 200 ms here instead of 20 s, so anything
    /// of a VM tied to the thread that started it (a parent-death signal) would die within the
    /// test: a sandbox started from a pool thread was SIGKILLed (exit 137) when that thread went.
    /// </summary>
    [Fact]
    public async Task ALongCommand_SurvivesOtherVmsNetworkWorkAndDeletion_AndTheServersIdleThreads()
    {
        using var dataRoot = new TemporaryDataRoot();
        await using var service = new TestHost("outside service");
        using ServerProcess server = await ServerProcess.StartAsync(
            new Dictionary<string, string> { ["DOTNET_ThreadPool_ThreadTimeoutMs"] = "200" },
            "--api-key", Key, "--no-base-cache", "--data-root", dataRoot.Path, "--add-host", "api.test=127.0.0.1");
        var v01 = new ApiClient(_http, server.V01BaseUrl, Key);
        var api = new ApiClient(_http, new Uri(server.BaseUrl, "api"), Key);
        string longLived = await v01.ForkAsync();

        Task<RunResult> longRun = v01.RunAsync(longLived, "sleep 5; echo survived");
        for (int i = 0; i < 6; i++)
        {
            string other = await v01.ForkAsync();
            (await api.SendJsonAsync(HttpMethod.Put, $"/v1/vms/{other}/policies",
                $$"""{"policies":[{"type":"outbound","match":{"hosts":["api.test"],"ports":[{{service.Port}}]},"action":"allow"}]}""")).Ok();
            RunResult fetched = await v01.RunAsync(other, $"{service.Fetch("api.test")}; {service.Fetch("api.test")}");
            Assert.Equal(2, fetched.StdoutText.Split("outside service").Length - 1);
            (await v01.DeleteAsync($"/api/v1/vms/{other}")).Ok();
        }

        RunResult result = await longRun;

        Assert.Equal((0, "survived\n"), (result.ExitCode, result.StdoutText));
    }

    [Fact]
    public async Task ALongCommand_SurvivesAQuietServer_WhoseThreadsComeAndGo()
    {
        using var dataRoot = new TemporaryDataRoot();
        using ServerProcess server = await ServerProcess.StartAsync(
            new Dictionary<string, string> { ["DOTNET_ThreadPool_ThreadTimeoutMs"] = "200" },
            "--api-key", Key, "--no-base-cache", "--data-root", dataRoot.Path);
        var v01 = new ApiClient(_http, server.V01BaseUrl, Key);
        string[] vms = [await v01.ForkAsync(), await v01.ForkAsync(), await v01.ForkAsync()];

        RunResult[] results = await Task.WhenAll(vms.Select(vm => v01.RunAsync(vm, "sleep 3; echo survived")));

        Assert.All(results, result => Assert.Equal((0, "survived\n"), (result.ExitCode, result.StdoutText)));
    }

    public void Dispose() => _http.Dispose();
}
