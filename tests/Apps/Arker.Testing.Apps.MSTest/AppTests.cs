using Arker.Testing.Fixtures;
using Arker.Testing.MSTest;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Arker.Testing.Apps.MSTest;

[TestClass]
[ArkerVm]
public sealed class AppTests : ArkerTest
{
    public static IEnumerable<object[]> Rounds => AppBehaviour.Rounds.Select(round => new object[] { round });

    [TestMethod]
    [DynamicData(nameof(Rounds))]
    public Task Runs_a_command_in_its_VM(int round) => AppBehaviour.RunAsync(Vm, TestEnvironment, round, message => Assert.Fail(message), CancellationToken);
}
