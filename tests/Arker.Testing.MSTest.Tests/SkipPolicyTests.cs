using Arker.Testing.Fixtures;
using Arker.Testing.Local;

namespace Arker.Testing.MSTest.Tests;

/// <summary>Without any Arker: inconclusive (skipped) locally, failed when the run requires Arker.</summary>
[TestClass]
public sealed class SkipPolicyTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(false, typeof(AssertInconclusiveException))]
    [DataRow(true, typeof(AssertFailedException))]
    public async Task NoArker_IsSkippedLocally_AndFailsWhenRequired(bool required, Type expected)
    {
        await using ArkerTestEnvironment environment = await ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings { Require = required }, null, new LocalArkerServerBackend(() => new LocalArkerServerOptions { RootFilesystem = "/nonexistent/rootfs" }), TestContext.CancellationToken);

        // Caught by hand: the exception must reach MSTest only when a real test ends with it.
        Exception? outcome = null;
        try
        {
            ArkerTestScope.EnsureAvailable(environment, MSTestTestFramework.RequireCurrentTest());
        }
        catch (Exception ex)
        {
            outcome = ex;
        }

        Assert.IsInstanceOfType(outcome, expected);
        Assert.Contains("ARKER_API_KEY is not set", outcome.Message);
        Assert.AreEqual(required, outcome.Message.Contains("This run requires Arker", StringComparison.Ordinal));
    }
}
