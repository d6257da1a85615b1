using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// A VM's network costs the server descriptors, not processes: however many connections, flows
/// and lookups a VM makes, no process is started on the host for them, and one VM's traffic
/// cannot crowd out another's. Each test runs its own server, whose processes are counted.
/// </summary>
public sealed class NetworkCostTests : IDisposable
{
    private const string Key = "ark_network_cost";
    private const int Connections = 200;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(2) };

    [Fact]
    public async Task AVmOpeningMoreConnectionsThanItsProcessLimit_StartsNoHostProcess_AndOtherVmsStillConnect()
    {
        using var dataRoot = new TemporaryDataRoot();
        await using var holder = new HoldingHost();
        await using var service = new TestHost("still reachable");
        using ServerProcess server = await ServerProcess.StartAsync(
            "--api-key", Key, "--no-base-cache", "--data-root", dataRoot.Path, "--process-limit", "64", "--add-host", "api.test=127.0.0.1");
        var v01 = new ApiClient(_http, server.V01BaseUrl, Key);
        var api = new ApiClient(_http, new Uri(server.BaseUrl, "api"), Key);
        string busy = await v01.ForkAsync();
        string other = await v01.ForkAsync();
        await AllowAsync(api, busy, holder.Port);
        await AllowAsync(api, other, service.Port);
        (await v01.RunAsync(busy, "true")).Succeeded();
        int before = await LastingDescendantsAsync(server);

        Task<RunResult> opening = v01.RunAsync(busy, $$"""
            python3 -c "
            import socket, time
            held = [socket.create_connection(('api.test', {{holder.Port}}), timeout=10) for _ in range({{Connections}})]
            time.sleep(4); print(len(held))
            "
            """);
        await holder.WaitForAsync(Connections, TimeSpan.FromSeconds(60));
        int during = await LastingDescendantsAsync(server);
        RunResult reached = await v01.RunAsync(other, service.Fetch("api.test"));
        RunResult opened = await opening;

        Assert.Equal($"{Connections}\n", opened.Succeeded().StdoutText);
        Assert.InRange(during - before, 0, 2); // the VM's python, and nothing for its connections
        Assert.Contains("still reachable", reached.StdoutText);
    }

    [Fact]
    public async Task PastItsConnectionLimit_AVmsNewConnectionsAreReset_UntilSomeEnd()
    {
        using var dataRoot = new TemporaryDataRoot();
        await using var holder = new HoldingHost();
        using ServerProcess server = await ServerProcess.StartAsync(
            "--api-key", Key, "--no-base-cache", "--data-root", dataRoot.Path, "--add-host", "api.test=127.0.0.1");
        var v01 = new ApiClient(_http, server.V01BaseUrl, Key);
        var api = new ApiClient(_http, new Uri(server.BaseUrl, "api"), Key);
        string vm = await v01.ForkAsync();
        await AllowAsync(api, vm, holder.Port);
        const int Limit = 1024; // OutboundGateway.MaxConnections

        RunResult result = await v01.RunAsync(vm, $$"""
            python3 -c "
            import socket, time
            def connect(): return socket.create_connection(('api.test', {{holder.Port}}), timeout=10)
            def carried(s):
                s.setblocking(False)
                try: return s.recv(1) != b''
                except BlockingIOError: return True  # open and quiet
                except OSError: return False  # reset
            held = [connect() for _ in range({{Limit}} + 1)]
            time.sleep(1)
            print(sum(carried(s) for s in held[:{{Limit}}]), carried(held[{{Limit}}]))
            for s in held[:10]: s.close()
            time.sleep(1)
            again = connect(); time.sleep(1); print(carried(again))
            "
            """, timeout: 300);

        Assert.Equal($"{Limit} False\nTrue\n", result.Succeeded().StdoutText);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The server's descendants that last: the fewest of five looks 100 ms apart (a VM network made ahead of need runs its set-up for a moment).</summary>
    private static async Task<int> LastingDescendantsAsync(ServerProcess server)
    {
        int fewest = int.MaxValue;
        for (int look = 0; look < 5; look++)
        {
            fewest = Math.Min(fewest, ProcessTree.DescendantsOf(server.Process.Id).Count);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return fewest;
    }

    private static async Task AllowAsync(ApiClient api, string vm, int port) =>
        (await api.SendJsonAsync(HttpMethod.Put, $"/v1/vms/{vm}/policies",
            $$"""{"policies":[{"type":"outbound","match":{"hosts":["api.test"],"ports":[{{port}}]},"action":"allow"}]}""")).Ok();
}
