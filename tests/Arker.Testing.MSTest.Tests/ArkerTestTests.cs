using Arker.Testing.Snapshots;

namespace Arker.Testing.MSTest.Tests;

[TestClass]
[ArkerVm(typeof(GreetTemplate))]
public sealed class ArkerTestTests : ArkerTest
{
    [TestMethod]
    public async Task EachTest_GetsAForkOfTheProvisionedBase()
    {
        (await Vm.RunAsync("greet mstest", CancellationToken)).ShouldSucceed().StdoutShouldBe("hello, mstest");
        Assert.AreNotEqual(BaseVm.Vm.Id, Vm.Id);
    }

    [TestMethod]
    [DataRow("first")]
    [DataRow("second")]
    [DataRow("third")]
    public async Task NothingLeaksBetweenTests_EvenInParallel(string name)
    {
        RunResult before = await Vm.RunAsync("cat ~/leak-check 2>/dev/null || echo clean", CancellationToken);
        await Vm.Sync.WriteFileAsync("/home/user/leak-check", name, CancellationToken);

        before.StdoutShouldBe("clean");
    }

    [TestMethod]
    [ArkerVm]
    public async Task AMethodAttribute_OverridesTheClass()
    {
        (await Vm.RunAsync("greet", CancellationToken)).ShouldExitWith(127);
    }

    [TestMethod]
    public async Task AFailedCheck_IsAnMSTestAssertionFailure()
    {
        RunResult result = await Vm.RunAsync("exit 5", CancellationToken);

        AssertFailedException failure = Assert.ThrowsExactly<AssertFailedException>(() => result.ShouldSucceed());
        Assert.Contains("It exited with 5", failure.Message);
    }

    [TestMethod]
    [DataRow("alice")]
    public Task Snapshots_AreNamedAfterTheMSTestTest(string name) =>
        Vm.VerifyRunAsync($"greet {name}", cancellationToken: CancellationToken);

    // The xunit and NUnit adapters' tests have the same test: all three name the file the same way (..._name=a_b_c).
    [TestMethod]
    [DataRow("a/b c")]
    public Task Arguments_AreCleanedForTheFileName(string name) =>
        Vm.VerifyRunAsync($"echo '{name}'", cancellationToken: CancellationToken);
}
