using Arker.Testing.Fixtures;

namespace Arker.Testing.NUnit;

/// <summary>The adapter's skip policy: no Arker means the test is ignored locally, and fails when the run requires it.</summary>
internal static class NUnitAvailability
{
    /// <summary>Returns when VMs can be had; otherwise ends the test as ignored (or failed, when required), naming what is missing.</summary>
    public static void EnsureAvailable(ArkerTestEnvironment environment)
    {
        if (environment.UnavailableReason is not { } reason)
        {
            return;
        }

        // Thrown, not Assert.Ignore/Assert.Fail, so nothing is recorded in the test's result until NUnit sees it.
        if (environment.Settings.Require)
        {
            throw new AssertionException(environment.UnavailableMessage!);
        }

        throw new IgnoreException(reason);
    }
}
