using Arker.Testing.Snapshots;

namespace Arker.Testing.NUnit.Tests;

[ArkerVm(typeof(GreetTemplate))]
[Parallelizable(ParallelScope.All)]
public sealed class ArkerTestTests : ArkerTest
{
    [Test]
    public async Task EachTest_GetsAForkOfTheProvisionedBase()
    {
        (await Vm.RunAsync("greet nunit", CancellationToken)).ShouldSucceed().StdoutShouldBe("hello, nunit");
        Assert.That(Vm.Id, Is.Not.EqualTo(BaseVm.Vm.Id));
    }

    [TestCase("first")]
    [TestCase("second")]
    [TestCase("third")]
    public async Task NothingLeaksBetweenTests_EvenInParallel(string name)
    {
        RunResult before = await Vm.RunAsync("cat ~/leak-check 2>/dev/null || echo clean", CancellationToken);
        await Vm.Sync.WriteFileAsync("/home/user/leak-check", name, CancellationToken);

        before.StdoutShouldBe("clean");
    }

    [Test]
    [ArkerVm]
    public async Task AMethodAttribute_OverridesTheFixture()
    {
        (await Vm.RunAsync("greet", CancellationToken)).ShouldExitWith(127);
    }

    [Test]
    public async Task AFailedCheck_IsAnNUnitAssertionFailure()
    {
        RunResult result = await Vm.RunAsync("exit 5", CancellationToken);

        var failure = Assert.Throws<AssertionException>(() => result.ShouldSucceed());
        Assert.That(failure!.Message, Does.Contain("It exited with 5"));
    }

    [TestCase("alice")]
    public Task Snapshots_AreNamedAfterTheNUnitTest(string name) =>
        Vm.VerifyRunAsync($"greet {name}", cancellationToken: CancellationToken);

    // The xunit adapter's tests have the same test with [InlineData("a/b c")]: both name the file the same way (..._name=a_b_c).
    [TestCase("a/b c")]
    public Task Arguments_AreCleanedForTheFileName(string name) =>
        Vm.VerifyRunAsync($"echo '{name}'", cancellationToken: CancellationToken);
}

[ArkerVm(typeof(GreetTemplate))]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
[Parallelizable(ParallelScope.All)]
public sealed class InstancePerTestCaseTests : ArkerTest
{
    [Test]
    public async Task Works_WithAnInstancePerTestCase([Values(1, 2, 3)] int n)
    {
        (await Vm.RunAsync($"greet {n}", CancellationToken)).ShouldSucceed().StdoutShouldBe($"hello, {n}");
    }
}
