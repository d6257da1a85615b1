using Arker.Testing.Fixtures;
using Arker.Testing.NUnit;

namespace Arker.Testing.Apps.NUnit;

[ArkerVm]
public sealed class AppTests : ArkerTest
{
    [TestCaseSource(typeof(AppBehaviour), nameof(AppBehaviour.Rounds))]
    public Task Runs_a_command_in_its_VM(int round) => AppBehaviour.RunAsync(Vm, TestEnvironment, round, message => Assert.Fail(message), CancellationToken);
}
