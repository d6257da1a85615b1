using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// A VM is one machine on the network too: its sessions share one network namespace (a service
/// one session starts answers another on the VM's loopback), and no other VM, fork or not, shares it.
/// </summary>
public sealed class VmNetworkTests(LocalServerFixture fixture)
{
    private const string StartService = "echo hello > ~/index.html && cd ~ && (python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &) && for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.05; done; echo up";
    private const string CallService = "python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/index.html', timeout=5).read().decode().strip())\" 2>&1 | tail -1";
    private readonly ApiClient _api = fixture.Api;

    [Fact]
    public async Task AServiceOneSessionStarts_AnswersTheVmsOtherSessions_OnItsLoopback()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, StartService, sessionId: "service")).Succeeded();

        RunResult fromAnotherSession = await _api.RunAsync(vm, CallService, sessionId: "client");
        RunResult interfaces = await _api.RunAsync(vm, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '", sessionId: "third");

        Assert.Equal("hello\n", fromAnotherSession.StdoutText);
        Assert.Equal("lo\n", interfaces.StdoutText); // its own loopback, nothing else
    }

    [Fact]
    public async Task AnotherVm_AndAForkOfThisOne_HaveNetworksOfTheirOwn()
    {
        string vm = await _api.ForkAsync();
        string other = await _api.ForkAsync();
        (await _api.RunAsync(vm, "true", sessionId: "service")).Succeeded(); // the VM's network exists before the fork
        string fork = await _api.ForkAsync(vm);
        (await _api.RunAsync(vm, StartService, sessionId: "service")).Succeeded();

        RunResult fromTheVm = await _api.RunAsync(vm, CallService, sessionId: "client");
        RunResult fromOtherVm = await _api.RunAsync(other, CallService);
        RunResult fromFork = await _api.RunAsync(fork, CallService, sessionId: "client");

        Assert.Equal("hello\n", fromTheVm.StdoutText);
        Assert.Contains("Connection refused", fromOtherVm.StdoutText);
        Assert.Contains("Connection refused", fromFork.StdoutText);
    }

    [Fact]
    public async Task TheNetworkOutlivesTheSessionThatMadeIt()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "true", sessionId: "first")).Succeeded();
        RunResult killed = await _api.RunAsync(vm, "sleep 30", sessionId: "first", timeout: 1);
        (await _api.RunAsync(vm, StartService, sessionId: "service")).Succeeded();

        RunResult fromAnotherSession = await _api.RunAsync(vm, CallService, sessionId: "client");

        Assert.Equal(-1, killed.ExitCode);
        Assert.Equal("hello\n", fromAnotherSession.StdoutText);
    }
}
