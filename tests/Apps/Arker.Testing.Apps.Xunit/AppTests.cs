using Arker.Testing.Fixtures;
using Arker.Testing.Xunit;

namespace Arker.Testing.Apps.Xunit;

[ArkerVm]
public sealed class AppTests : ArkerTest
{
    [Fact]
    public Task Runs_a_command_in_its_VM() => AppBehaviour.RunAsync(Vm, TestEnvironment, message => Assert.Fail(message), CancellationToken);
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
