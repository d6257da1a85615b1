using Arker.Testing.Fixtures;
using Arker.Testing.Local;
using TUnit.Core.Exceptions;

namespace Arker.Testing.TUnit.Tests;

/// <summary>Without any Arker: skipped locally, failed when the run requires Arker.</summary>
public sealed class SkipPolicyTests
{
    [Test]
    [Arguments(false, typeof(SkipTestException))]
    [Arguments(true, typeof(ArkerUnavailableException))]
    public async Task NoArker_IsSkippedLocally_AndFailsWhenRequired(bool required, Type expected)
    {
        await using ArkerTestEnvironment environment = await ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings { Require = required }, null, new LocalArkerServerBackend(() => new LocalArkerServerOptions { RootFilesystem = "/nonexistent/rootfs" }), TestContext.Current!.Execution.CancellationToken);

        // Caught by hand: the exception must reach TUnit only when a real test ends with it.
        Exception? outcome = null;
        try
        {
            ArkerTestScope.EnsureAvailable(environment, TUnitTestFramework.RequireCurrentTest());
        }
        catch (Exception ex)
        {
            outcome = ex;
        }

        await Assert.That(outcome?.GetType()).IsEqualTo(expected);
        await Assert.That(outcome!.Message).Contains("ARKER_API_KEY is not set");
        await Assert.That(outcome.Message.Contains("This run requires Arker", StringComparison.Ordinal)).IsEqualTo(required);
    }
}
