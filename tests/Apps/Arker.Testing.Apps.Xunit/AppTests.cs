using Arker.Testing.Fixtures;
using Arker.Testing.Xunit;

namespace Arker.Testing.Apps.Xunit;

[ArkerVm]
public sealed class AppTests : ArkerTest
{
    public static TheoryData<int> Rounds => [.. AppBehaviour.Rounds];

    [Theory]
    [MemberData(nameof(Rounds))]
    public Task Runs_a_command_in_its_VM(int round) => AppBehaviour.RunAsync(Vm, TestEnvironment, round, message => Assert.Fail(message), CancellationToken);
}

/// <summary>With ARKER_APP_EARLY_START=1, starts the shared environment before the test session does, as a user's static code might.</summary>
internal static class EarlyStart
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void StartBeforeTheSession()
    {
        if (Environment.GetEnvironmentVariable("ARKER_APP_EARLY_START") == "1")
        {
            _ = ArkerTestEnvironment.GetSharedAsync();
        }
    }
}
