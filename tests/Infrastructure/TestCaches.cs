using System.Runtime.CompilerServices;

namespace Arker.Testing.TestInfrastructure;

/// <summary>
/// Keeps this repository's test runs out of the developer's own caches: before any test, every
/// test application (and the servers and applications it starts) gets a cache folder of its own
/// in the temporary folder, kept across runs so later runs still hit it. Compiled into every test
/// project by <c>tests/Directory.Build.props</c>.
/// </summary>
internal static class TestCaches
{
    [ModuleInitializer]
    internal static void UseTheTestsOwnCacheFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"arker-testing-tests-cache-{Environment.UserName}");
        Directory.CreateDirectory(folder);
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", folder);
    }
}
