using System.Reflection;

using Arker.Testing.Extensibility;

namespace Arker.Testing.Fixtures;

/// <summary>
/// Finds the test application's local backend: the assembly its runtime configuration names
/// (<see cref="LocalBackendAttribute.RuntimeConfigName"/>, set by the Arker.Testing.Local package,
/// which the adapters bring), and the backend that assembly offers.
/// </summary>
internal static class LocalBackends
{
    /// <summary>Why there is no local backend when <see cref="Find"/> finds none.</summary>
    public static string Missing =>
        (AppContext.GetData(LocalBackendAttribute.RuntimeConfigName) is string named
            ? $"The test application's local Arker backend, {named} (its runtime configuration option {LocalBackendAttribute.RuntimeConfigName}), cannot be loaded or offers no backend."
            : $"This test application has no local Arker backend (no runtime configuration option {LocalBackendAttribute.RuntimeConfigName}).")
        + " Reference Arker.Testing.Xunit or Arker.Testing.NUnit (they bring the embedded local server), or the package Arker.Testing.Local; or set ARKER_API_KEY to use the Arker service.";

    /// <summary>The backend the application's runtime configuration names, or null when it names none that can be loaded.</summary>
    public static LocalBackend? Find()
    {
        if (AppContext.GetData(LocalBackendAttribute.RuntimeConfigName) is not string assemblyName || assemblyName.Length == 0)
        {
            return null;
        }

        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }

        return assembly.GetCustomAttribute<LocalBackendAttribute>() is { } offered
            ? (LocalBackend)Activator.CreateInstance(offered.BackendType)!
            : null;
    }
}
