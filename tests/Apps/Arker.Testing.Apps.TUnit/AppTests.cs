using Arker.Testing.Fixtures;
using Arker.Testing.TUnit;

namespace Arker.Testing.Apps.TUnit;

// One round after the other, as the other frameworks run them: the interrupt tests check that no round starts after Ctrl-C.
[ArkerVm]
[NotInParallel]
public sealed class AppTests : ArkerTest
{
    public static IEnumerable<int> Rounds() => AppBehaviour.Rounds;

    [Test]
    [MethodDataSource(nameof(Rounds))]
    public Task Runs_a_command_in_its_VM(int round) => AppBehaviour.RunAsync(Vm, TestEnvironment, round, message => Assert.Fail(message), CancellationToken);
}
