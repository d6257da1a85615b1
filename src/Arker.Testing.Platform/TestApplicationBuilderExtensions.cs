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
        // One reporter ends the run at the end of the session, or after it when it was cancelled.
        ArkerRunReporter? reporter = null;
        ArkerRunReporter Reporter(IServiceProvider services) => reporter ??= new ArkerRunReporter(services);
        builder.TestHost.AddTestSessionLifetimeHandler(Reporter);
        builder.TestHost.AddTestHostApplicationLifetime(Reporter);

        // One watcher both hands the run id to the test host and cleans up after it.
        var watcher = new CompositeExtensionFactory<ArkerTestHostWatcher>(services => new ArkerTestHostWatcher(services));
        builder.TestHostControllers.AddEnvironmentVariableProvider(watcher);
        builder.TestHostControllers.AddProcessLifetimeHandler(watcher);
        return builder;
    }
}
