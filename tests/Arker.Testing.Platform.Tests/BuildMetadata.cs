using System.Reflection;

namespace Arker.Testing.Platform.Tests;

/// <summary>Paths and the configuration this test project was built with (AssemblyMetadata items of its project file).</summary>
internal static class BuildMetadata
{
    public static string Get(string key) =>
        typeof(BuildMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
