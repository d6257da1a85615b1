using Microsoft.Testing.Platform.Builder;
using Microsoft.Testing.Platform.Extensions;

namespace Arker.Testing.Platform;

/// <summary>Registration of the Arker.Testing extension with Microsoft.Testing.Platform.</summary>
public static class TestApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the <c>--arker-*</c> options, the run summary at the end of each test session, and a
    /// watcher process that deletes the run's VMs if the test host dies.
    /// </summary>
    public static ITestApplicationBuilder AddArkerTesting(this ITestApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.CommandLine.AddProvider(() => new ArkerCommandLineOptions());
        builder.TestHost.AddTestSessionLifetimeHandler(services => new ArkerRunReporter(services));

        // One watcher both hands the run id to the test host and cleans up after it.
        var watcher = new CompositeExtensionFactory<ArkerTestHostWatcher>(services => new ArkerTestHostWatcher(services));
        builder.TestHostControllers.AddEnvironmentVariableProvider(watcher);
        builder.TestHostControllers.AddProcessLifetimeHandler(watcher);
        return builder;
    }
}
