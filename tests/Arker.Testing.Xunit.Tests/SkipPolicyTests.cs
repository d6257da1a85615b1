using Arker.Testing.Extensibility;
using Arker.Testing.Fixtures;
using Arker.Testing.Local;

namespace Arker.Testing.Xunit.Tests;

/// <summary>Without any Arker: skipped locally, failed when the run requires Arker.</summary>
public sealed class SkipPolicyTests
{
    [Fact]
    public async Task NotRequired_TheTestIsSkippedWithTheReason()
    {
        await using ArkerTestEnvironment environment = await UnavailableAsync(required: false);

        // Caught by hand: Assert.Throws lets a dynamic skip through, and this test would be skipped itself.
        ArkerUnavailableException? skip = null;
        try
        {
            ArkerTestScope.EnsureAvailable(environment, XunitTestFramework.RequireCurrentTest());
        }
        catch (ArkerUnavailableException ex)
        {
            skip = ex;
        }

        Assert.NotNull(skip);
        Assert.StartsWith("$XunitDynamicSkip$No Arker VMs for these tests: ARKER_API_KEY is not set", skip.Message);
        Assert.False(skip.Required);
    }

    [Fact]
    public async Task Required_TheTestFailsWithTheReason()
    {
        await using ArkerTestEnvironment environment = await UnavailableAsync(required: true);

        var failure = Assert.Throws<ArkerUnavailableException>(() => ArkerTestScope.EnsureAvailable(environment, XunitTestFramework.RequireCurrentTest()));

        Assert.DoesNotContain("$XunitDynamicSkip$", failure.Message);
        Assert.Contains("This run requires Arker", failure.Message);
        Assert.True(failure.Required);
    }

    private static Task<ArkerTestEnvironment> UnavailableAsync(bool required) =>
        ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings { Require = required }, null, new LocalArkerServerBackend(() => new LocalArkerServerOptions { RootFilesystem = "/nonexistent/rootfs" }), TestContext.Current.CancellationToken);
}
