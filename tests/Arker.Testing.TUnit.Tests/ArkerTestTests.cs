using Arker.Testing.Snapshots;

namespace Arker.Testing.TUnit.Tests;

[ArkerVm(typeof(GreetTemplate))]
public sealed class ArkerTestTests : ArkerTest
{
    [Test]
    public async Task EachTest_GetsAForkOfTheProvisionedBase()
    {
        (await Vm.RunAsync("greet tunit", CancellationToken)).ShouldSucceed().StdoutShouldBe("hello, tunit");
        await Assert.That(Vm.Id).IsNotEqualTo(BaseVm.Vm.Id);
    }

    [Test]
    [Arguments("first")]
    [Arguments("second")]
    [Arguments("third")]
    public async Task NothingLeaksBetweenTests_EvenInParallel(string name)
    {
        RunResult before = await Vm.RunAsync("cat ~/leak-check 2>/dev/null || echo clean", CancellationToken);
        await Vm.Sync.WriteFileAsync("/home/user/leak-check", name, CancellationToken);

        before.StdoutShouldBe("clean");
    }

    [Test]
    [ArkerVm]
    public async Task AMethodAttribute_OverridesTheClass()
    {
        (await Vm.RunAsync("greet", CancellationToken)).ShouldExitWith(127);
    }

    [Test]
    public async Task AFailedCheck_FailsTheTest_SayingWhatHappened()
    {
        RunResult result = await Vm.RunAsync("exit 5", CancellationToken);

        await Assert.That(() => result.ShouldSucceed()).Throws<CommandAssertionException>().WithMessageContaining("It exited with 5");
    }

    [Test]
    [Arguments("alice")]
    public Task Snapshots_AreNamedAfterTheTUnitTest(string name) =>
        Vm.VerifyRunAsync($"greet {name}", cancellationToken: CancellationToken);

    // The other adapters' tests have the same test: all name the file the same way (..._name=a_b_c).
    [Test]
    [Arguments("a/b c")]
    public Task Arguments_AreCleanedForTheFileName(string name) =>
        Vm.VerifyRunAsync($"echo '{name}'", cancellationToken: CancellationToken);
}
