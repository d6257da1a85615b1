using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// With the default policy a VM reaches hosts beyond this machine, as on the Arker service, and a
/// policy can take that away. The outside host is a network namespace of this machine's (see
/// <see cref="OutsideHost"/>), which takes root to make; the rest of the network tests run rootless too.
/// </summary>
public sealed class OutsideNetworkTests(LocalServerFixture fixture)
{
    private readonly ApiClient _v01 = fixture.Api;
    private readonly ApiClient _api = new(fixture.Http, fixture.Server.ApiBaseUrl, fixture.Api.ApiKey);

    [Fact]
    public async Task ByDefault_AVmReachesAHostOutside_AndAnIpRuleCanDenyIt()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("Making a host outside this machine's network (a namespace and a veth pair) takes root.");
        }

        await using OutsideHost outside = await OutsideHost.StartAsync();
        string vm = await _v01.ForkAsync();

        RunResult open = await _v01.RunAsync(vm, TestHost.Fetch(outside.Address, 80));
        (await _api.SendJsonAsync(HttpMethod.Put, $"/v1/vms/{vm}/policies", """{"policies":[{"type":"outbound","match":{"ips":["10.213.0.0/16"]},"action":"deny"},{"type":"outbound","action":"allow"}]}""")).Ok();
        RunResult denied = await _v01.RunAsync(vm, TestHost.Fetch(outside.Address, 80));

        Assert.Contains(OutsideHost.Greeting, open.StdoutText);
        Assert.DoesNotContain(OutsideHost.Greeting, denied.StdoutText);
    }
}
