using System.Reflection;

namespace Arker.Testing.Platform.Tests;

/// <summary>Paths and the configuration this test project was built with (AssemblyMetadata items of its project file).</summary>
internal static class BuildMetadata
{
    /// <summary>
    /// A value the build recorded; <c>ARKER_TEST_&lt;KEY&gt;</c> (for example <c>ARKER_TEST_APPSFOLDER</c>)
    /// overrides it, for a run from a copy of the builds (the rootless run as an ordinary user).
    /// </summary>
    public static string Get(string key) =>
        Environment.GetEnvironmentVariable("ARKER_TEST_" + key.ToUpperInvariant())
        ?? typeof(BuildMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
