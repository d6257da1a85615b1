using System.Reflection;

namespace Arker.Testing.Extensibility;

/// <summary>Finds the embedded local server when the test application has it (the adapters bring it).</summary>
internal static class LocalBackends
{
    /// <summary>The assembly that offers the embedded local server.</summary>
    public const string AssemblyName = "Arker.Testing.Local";

    /// <summary>Why there is no local backend when <see cref="Find"/> finds none.</summary>
    public const string Missing =
        "The embedded local Arker server (" + AssemblyName + ") is not part of this test application: reference Arker.Testing.Xunit or Arker.Testing.NUnit (they bring it), or the package " + AssemblyName + ".";

    /// <summary>The backend of <c>Arker.Testing.Local</c>, or null when the application does not have it.</summary>
    public static LocalBackend? Find()
    {
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(AssemblyName));
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        return assembly.GetCustomAttribute<LocalBackendAttribute>() is { } offered
            ? (LocalBackend)Activator.CreateInstance(offered.BackendType)!
            : null;
    }
}
