using Arker.Testing.Fixtures;
using Arker.Testing.NUnit;

namespace Arker.Testing.Apps.NUnit;

[ArkerVm]
public sealed class AppTests : ArkerTest
{
    [Test]
    public Task Runs_a_command_in_its_VM() => AppBehaviour.RunAsync(Vm, TestEnvironment, message => Assert.Fail(message), CancellationToken);
}
