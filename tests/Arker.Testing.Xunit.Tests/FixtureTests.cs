using Arker.Testing.Fixtures;

namespace Arker.Testing.Xunit.Tests;

public sealed class ClassFixtureTests(ArkerVmFixture<EchoToolTemplate> fixture) : IClassFixture<ArkerVmFixture<EchoToolTemplate>>
{
    [Fact]
    public async Task LeaseAsync_GivesAForkOfTheClassBase()
    {
        await using VmLease lease = await fixture.LeaseAsync();

        (await lease.Vm.RunAsync("greet fixture", TestContext.Current.CancellationToken)).ShouldSucceed().StdoutShouldBe("hello, fixture");
        Assert.NotEqual(fixture.Base.Vm.Id, lease.Vm.Id);
    }
}

public sealed class AssemblyFixtureTests(ArkerAssemblyFixture<EchoToolTemplate> fixture)
{
    [Fact]
    public async Task TheRunWideBase_IsSharedWithRunScopedTests()
    {
        await using VmLease lease = await fixture.LeaseAsync();

        (await lease.Vm.RunAsync("greet assembly", TestContext.Current.CancellationToken)).ShouldSucceed();
        Assert.Same(fixture.Base, await fixture.TestEnvironment.GetBaseAsync(new EchoToolTemplate(), ArkerTestEnvironment.RunScope, TestContext.Current.CancellationToken));
    }
}

[ArkerVm(typeof(EchoToolTemplate), Scope = ArkerVmScope.Run)]
public sealed class RunScopedTests(ArkerAssemblyFixture<EchoToolTemplate> fixture) : ArkerTest
{
    [Fact]
    public async Task ARunScopedClass_ForksTheAssemblyFixturesBase()
    {
        (await Vm.RunAsync("greet", CancellationToken)).ShouldSucceed().StdoutShouldBe("hello, world");
        Assert.Same(fixture.Base, BaseVm);
    }
}
