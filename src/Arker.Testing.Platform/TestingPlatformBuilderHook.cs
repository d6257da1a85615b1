using Microsoft.Testing.Platform.Builder;

namespace Arker.Testing.Platform;

/// <summary>
/// Called by the entry point that Microsoft.Testing.Platform generates for a test application
/// (through the <c>TestingPlatformBuilderHook</c> item this package adds), so the extension is
/// registered without code in the test project.
/// </summary>
public static class TestingPlatformBuilderHook
{
    /// <summary>Registers the Arker.Testing extension.</summary>
    /// <param name="builder">The test application being built.</param>
    /// <param name="_">The command line (unused: options are read through the platform).</param>
    public static void AddExtensions(ITestApplicationBuilder builder, string[] _) => builder.AddArkerTesting();
}
