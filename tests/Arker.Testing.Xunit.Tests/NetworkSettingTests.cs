namespace Arker.Testing.Xunit.Tests;

/// <summary>A template closes its base's network; a test's <c>[ArkerVm(Network = …)]</c> changes its own VM's.</summary>
[ArkerVm(typeof(ClosedNetworkTemplate))]
public sealed class NetworkSettingTests : ArkerTest
{
    private const string LookUpThisMachine = "getent hosts host.arker.internal >/dev/null && echo resolved || echo refused";

    [Fact]
    public async Task TheTemplatesNetwork_IsEveryForksNetwork()
    {
        NetworkPolicy policy = await Vm.GetNetworkPolicyAsync(CancellationToken);

        Assert.Equal((NetworkDirection.Outbound, false), (Assert.Single(policy.Rules).Direction, policy.Rules[0].Allow));
        (await Vm.RunAsync(LookUpThisMachine, CancellationToken)).StdoutShouldBe("refused");
    }

    [Fact]
    [ArkerVm(typeof(ClosedNetworkTemplate), Network = ArkerNetwork.Open)]
    public async Task ATestCanOpenItsOwnVm()
    {
        NetworkPolicy policy = await Vm.GetNetworkPolicyAsync(CancellationToken);

        Assert.True(Assert.Single(policy.Rules).Allow);
        (await Vm.RunAsync(LookUpThisMachine, CancellationToken)).StdoutShouldBe("resolved");
        Assert.False((await BaseVm.Vm.GetNetworkPolicyAsync(CancellationToken)).Rules[0].Allow); // the base keeps its own
    }
}

/// <summary>A base with no way out.</summary>
public sealed class ClosedNetworkTemplate : VmTemplate
{
    public override NetworkPolicy? Network => NetworkPolicy.Closed;

    public override Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) => Task.CompletedTask;
}
