using Arker.Testing.Fixtures;

namespace Arker.Testing.Xunit;

/// <summary>The adapter's skip policy: no Arker means skip locally, and fail when the run requires it.</summary>
internal static class ArkerAvailability
{
    /// <summary>xunit.v3 reports an exception whose message starts with this token as a skip, the rest being the reason.</summary>
    internal const string DynamicSkipToken = "$XunitDynamicSkip$";

    /// <summary>Returns when VMs can be had; otherwise skips the test (or fails it, when required), naming what is missing.</summary>
    public static void EnsureAvailable(ArkerTestEnvironment environment)
    {
        if (environment.UnavailableReason is not { } reason)
        {
            return;
        }

        if (environment.Settings.Require)
        {
            throw new ArkerUnavailableException(environment.UnavailableMessage!, required: true);
        }

        throw new ArkerUnavailableException(DynamicSkipToken + reason, required: false);
    }
}
