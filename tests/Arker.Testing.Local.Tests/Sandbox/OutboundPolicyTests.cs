using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// A VM reaches out through the server's gateway, as its network policy allows
/// (<c>PUT /v1/vms/{id}/policies</c>): rules by port, IP and host, the first match deciding;
/// lookups answered for what may be reached; and this machine itself (its loopback, the server's
/// API, services the test started) out of reach unless a rule names the port. The "outside" hosts
/// here are services of this machine, given names by the server's host names
/// (<see cref="LocalServerFixture.FirstTestHost"/> is 127.0.0.1, <see cref="LocalServerFixture.SecondTestHost"/> 127.0.0.2).
/// </summary>
public sealed class OutboundPolicyTests(LocalServerFixture fixture)
{
    private const string First = LocalServerFixture.FirstTestHost;
    private const string Second = LocalServerFixture.SecondTestHost;
    private readonly ApiClient _v01 = fixture.Api;
    private readonly ApiClient _api = new(fixture.Http, fixture.Server.ApiBaseUrl, fixture.Api.ApiKey);

    [Fact]
    public async Task WithTheDefaultPolicy_TheVmReachesNothingOfThisMachine_NotEvenTheServersApi()
    {
        await using var service = new TestHost("test service");
        string vm = await _v01.ForkAsync();

        RunResult result = await _v01.RunAsync(vm, $"{service.Fetch(First)}; {service.Fetch("host.arker.internal")}; {TestHost.Fetch("host.arker.internal", fixture.Server.BaseUrl.Port)}");

        Assert.DoesNotContain("test service", result.StdoutText);
        Assert.DoesNotContain("HTTP", result.StdoutText);
        Assert.Equal(3, result.StdoutText.Split("done]").Length - 1);
        Assert.Equal(0, service.Connections);
    }

    [Fact]
    public async Task AnAllowRuleForAHostAndPort_LetsTheVmReachExactlyThat()
    {
        await using var allowed = new TestHost("allowed service");
        await using var otherPort = new TestHost("other port");
        string vm = await _v01.ForkAsync();
        await PutAsync(vm, $$"""{"policies":[{"type":"outbound","match":{"hosts":["{{First}}"],"ports":[{{allowed.Port}}]},"action":"allow"}]}""");

        RunResult result = await _v01.RunAsync(vm, $"{allowed.Fetch(First)}; {otherPort.Fetch(First)}; {allowed.Fetch("host.arker.internal")}");

        Assert.Contains("allowed service", result.StdoutText);
        Assert.DoesNotContain("other port", result.StdoutText);
        Assert.Equal((1, 0), (allowed.Connections, otherPort.Connections));
    }

    [Fact]
    public async Task UdpFlows_AreCarriedBothWays_WhereAllowed()
    {
        using var echo = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        int port = ((System.Net.IPEndPoint)echo.Client.LocalEndPoint!).Port;
        Task echoing = Task.Run(async () =>
        {
            while (true)
            {
                System.Net.Sockets.UdpReceiveResult received = await echo.ReceiveAsync(TestContext.Current.CancellationToken);
                await echo.Client.SendToAsync((byte[])[.. "echo:"u8, .. received.Buffer], received.RemoteEndPoint, TestContext.Current.CancellationToken);
            }
        }, TestContext.Current.CancellationToken);
        string vm = await _v01.ForkAsync();
        await PutAsync(vm, $$"""{"policies":[{"type":"outbound","match":{"hosts":["{{First}}"],"ports":[{{port}}]},"action":"allow"}]}""");

        RunResult result = await _v01.RunAsync(vm, $$"""
            python3 -c "
            import socket
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(3)
            for i in range(3):
                c.sendto(b'ping%d' % i, ('{{First}}', {{port}})); print(c.recv(100).decode())
            c.sendto(b'x', ('{{First}}', {{port + 1}}))
            try: print(c.recv(100))
            except socket.timeout: print('other port: no answer')
            "
            """);

        Assert.Equal("echo:ping0\necho:ping1\necho:ping2\nother port: no answer\n", result.StdoutText);
        Assert.False(echoing.IsFaulted);
    }

    [Fact]
    public async Task IpRules_MatchTheAddressTheNameResolvesTo()
    {
        await using var onFirst = new TestHost("on 127.0.0.1");
        await using var onSecond = new TestHost("on 127.0.0.2", "127.0.0.2");
        string vm = await _v01.ForkAsync();
        await PutAsync(vm, $$"""
            {"policies":[
              {"type":"outbound","match":{"ips":["127.0.0.2"]},"action":"deny"},
              {"type":"outbound","match":{"ips":["127.0.0.0/8"],"ports":[{{onFirst.Port}},{{onSecond.Port}}]},"action":"allow"}]}
            """);

        RunResult result = await _v01.RunAsync(vm, $"{onFirst.Fetch(First)}; {onSecond.Fetch(Second)}");

        Assert.Contains("on 127.0.0.1", result.StdoutText);
        Assert.DoesNotContain("on 127.0.0.2", result.StdoutText);
        Assert.Equal(0, onSecond.Connections);
    }

    [Fact]
    public async Task TheFirstMatchingRuleDecides()
    {
        await using var service = new TestHost("reached");
        string vm = await _v01.ForkAsync();
        string deny = $$"""{"type":"outbound","match":{"hosts":["{{First}}"]},"action":"deny"}""";
        string allow = $$"""{"type":"outbound","match":{"hosts":["{{First}}"],"ports":[{{service.Port}}]},"action":"allow"}""";

        await PutAsync(vm, $$"""{"policies":[{{deny}},{{allow}}]}""");
        RunResult denyFirst = await _v01.RunAsync(vm, service.Fetch(First));
        await PutAsync(vm, $$"""{"policies":[{{allow}},{{deny}}]}""");
        RunResult allowFirst = await _v01.RunAsync(vm, service.Fetch(First));

        Assert.DoesNotContain("reached", denyFirst.StdoutText);
        Assert.Contains("reached", allowFirst.StdoutText);
        Assert.Equal(1, service.Connections);
    }

    [Fact]
    public async Task Lookups_AreAnsweredForWhatThePolicyCouldAllow_AndRefusedOtherwise()
    {
        string vm = await _v01.ForkAsync();
        await PutAsync(vm, $$"""{"policies":[{"type":"outbound","match":{"hosts":["{{First}}"]},"action":"allow"}]}""");

        RunResult result = await _v01.RunAsync(vm, $"getent ahostsv4 {First} | head -1; echo \"first:$?\"; getent hosts {Second}; echo \"second:$?\"; getent hosts {First} | awk '{{print $1}}'");

        string[] lines = result.StdoutText.Split('\n');
        Assert.True(lines[0].StartsWith("198.18.", StringComparison.Ordinal), result.StdoutText + result.StderrText); // the VM's own address for the name, in 198.18.0.0/15
        Assert.Contains("second:2", result.StdoutText); // refused: getent's "not found"
        Assert.Equal(lines[0].Split(' ')[0], lines[3].Trim()); // the same address each time
    }

    [Fact]
    public async Task AClosedPolicy_LeavesTheVmItsOwnLoopbackOnly()
    {
        await using var service = new TestHost("should not be reached");
        string vm = await _v01.ForkAsync();
        await PutAsync(vm, """{"policies":[{"type":"outbound","action":"deny"}]}""");

        RunResult result = await _v01.RunAsync(vm,
            $"{service.Fetch(First)}; (python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &); for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.05; done; curl -s -o /dev/null -w 'own:%{{http_code}}' http://127.0.0.1:8080/");

        Assert.Contains("own:200", result.StdoutText);
        Assert.Equal(0, service.Connections);
    }

    [Fact]
    public async Task AForkStartsWithItsParentsPolicy()
    {
        await using var service = new TestHost("inherited");
        string parent = await _v01.ForkAsync();
        await PutAsync(parent, $$"""{"policies":[{"type":"outbound","match":{"hosts":["{{First}}"],"ports":[{{service.Port}}]},"action":"allow"}]}""");
        string fork = await _v01.ForkAsync(parent);

        RunResult result = await _v01.RunAsync(fork, service.Fetch(First));

        Assert.Contains("inherited", result.StdoutText);
    }

    [Fact]
    public async Task InboundRules_DecideWhichGuestPortsMayBeExposed_AndClosingOneEndsItsUrl()
    {
        string vm = await _v01.ForkAsync();
        var exposed = new Uri((await _api.PostAsync($"/v1/vms/{vm}/ports", new { port = 8080 })).Ok().GetProperty("url").GetString()!);
        await PutAsync(vm, """{"policies":[{"type":"inbound","match":{"ports":[9090]},"action":"allow"}]}""");

        ApiResponse refused = await _api.PostAsync($"/v1/vms/{vm}/ports", new { port = 8080 });
        JsonElement allowed = (await _api.PostAsync($"/v1/vms/{vm}/ports", new { port = 9090 })).Ok();
        JsonElement listed = (await _api.GetAsync($"/v1/vms/{vm}/ports")).Ok();

        refused.CurrentError(403, "forbidden");
        Assert.Equal(9090, allowed.GetProperty("port").GetInt32());
        Assert.Equal([9090], listed.GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("port").GetInt32()));
        using var http = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(exposed, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task DeletingTheVm_EndsEveryProcessOfItsNetwork()
    {
        string vm = await _v01.ForkAsync();
        string network = (await _v01.RunAsync(vm, "readlink /proc/self/ns/net")).StdoutText.Trim();
        Assert.NotEmpty(ProcessesIn(network));

        (await _v01.DeleteAsync($"/api/v1/vms/{vm}")).Ok();

        Assert.Empty(ProcessesIn(network));
    }

    private async Task PutAsync(string vm, string policy) =>
        (await _api.SendJsonAsync(HttpMethod.Put, $"/v1/vms/{vm}/policies", policy)).Ok();

    /// <summary>This user's processes in the network namespace <paramref name="network"/> (<c>net:[inode]</c>).</summary>
    private static List<int> ProcessesIn(string network) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => int.TryParse(name, out _))
            .Select(int.Parse!)
            .Where(pid => NetworkOf(pid) == network)];

    private static string? NetworkOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/net").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
