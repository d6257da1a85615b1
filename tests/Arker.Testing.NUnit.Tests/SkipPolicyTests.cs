using Arker.Testing.Extensibility;
using Arker.Testing.Fixtures;
using Arker.Testing.Local;

namespace Arker.Testing.NUnit.Tests;

/// <summary>Without any Arker: ignored locally, failed when the run requires Arker.</summary>
public sealed class SkipPolicyTests
{
    [TestCase(false, typeof(IgnoreException))]
    [TestCase(true, typeof(AssertionException))]
    public async Task NoArker_IsIgnoredLocally_AndFailsWhenRequired(bool required, Type expected)
    {
        await using ArkerTestEnvironment environment = await ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings { Require = required }, null, new LocalArkerServerBackend(() => new LocalArkerServerOptions { RootFilesystem = "/nonexistent/rootfs" }), TestContext.CurrentContext.CancellationToken);

        // Caught by hand: the exception must reach NUnit only when a real test ends with it.
        Exception? outcome = null;
        try
        {
            ArkerTestScope.EnsureAvailable(environment, NUnitTestFramework.RequireCurrentTest());
        }
        catch (Exception ex)
        {
            outcome = ex;
        }

        Assert.That(outcome, Is.InstanceOf(expected));
        Assert.That(outcome!.Message, Does.Contain("ARKER_API_KEY is not set"));
        Assert.That(outcome.Message.Contains("This run requires Arker", StringComparison.Ordinal), Is.EqualTo(required));
    }
}
