using Arker.Testing.Fixtures;
using Arker.Testing.Xunit;

namespace Arker.Testing.Apps.Xunit;

[ArkerVm]
public sealed class AppTests : ArkerTest
{
    [Fact]
    public Task Runs_a_command_in_its_VM() => AppBehaviour.RunAsync(Vm, Environment, message => Assert.Fail(message), CancellationToken);
}
