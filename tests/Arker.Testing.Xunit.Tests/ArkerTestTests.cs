namespace Arker.Testing.Xunit.Tests;

[ArkerVm(typeof(EchoToolTemplate))]
public sealed class ArkerTestTests : ArkerTest
{
    [Fact]
    public async Task EachTest_GetsAForkOfTheProvisionedBase()
    {
        (await Vm.RunAsync("greet xunit", CancellationToken)).ShouldSucceed().StdoutShouldBe("hello, xunit");
        Assert.NotEqual(BaseVm.Vm.Id, Vm.Id);
        Assert.Equal(nameof(EchoToolTemplate), BaseVm.Template.Name);
    }

    [Theory]
    [InlineData("first")]
    [InlineData("second")]
    [InlineData("third")]
    public async Task NothingLeaksBetweenTests(string name)
    {
        RunResult before = await Vm.RunAsync("cat ~/leak-check 2>/dev/null || echo clean", CancellationToken);
        await Vm.Sync.WriteFileAsync("/home/user/leak-check", name, CancellationToken);

        before.StdoutShouldBe("clean");
    }

    [Fact]
    [ArkerVm(Image = "arkuntu")]
    public async Task AMethodAttribute_OverridesTheClass()
    {
        (await Vm.RunAsync("command -v greet", CancellationToken)).ShouldFail();
    }

    [Fact]
    public void TheTestOutput_SaysWhichVmTheTestGot()
    {
        Assert.Contains($"[arker] VM {Vm.Id} (fork of {BaseVm.Vm.Id}, template EchoToolTemplate)", Output.Output);
    }

    [Fact]
    public void TheVmIsNamedWithTheRunsId()
    {
        Assert.StartsWith("arker-run-", TestEnvironment.RunId);
        Assert.False(string.IsNullOrEmpty(Vm.Id));
    }
}
