using System.Collections.Immutable;

namespace Arker.Testing.Extensibility;

/// <summary>
/// The test frameworks in this process (an adapter registers its own as it loads). The core asks
/// each for the current test, so snapshots, failed checks and logs reach the right one.
/// </summary>
public static class ArkerTestFrameworks
{
    private static ImmutableArray<IArkerTestFramework> _registered = [];

    /// <summary>Adds <paramref name="framework"/>; adding the same one again does nothing.</summary>
    public static void Register(IArkerTestFramework framework)
    {
        ArgumentNullException.ThrowIfNull(framework);
        ImmutableInterlocked.Update(ref _registered, all => all.Contains(framework) ? all : all.Add(framework));
    }

    /// <summary>The test running in the current context, in whichever registered framework runs it.</summary>
    public static TestInfo? CurrentTest
    {
        get
        {
            foreach (IArkerTestFramework framework in _registered)
            {
                if (framework.CurrentTest is { } test)
                {
                    return test;
                }
            }

            return null;
        }
    }

    /// <summary>Writes <paramref name="line"/> to the current test's output, else as each framework's diagnostic.</summary>
    internal static void Write(string line)
    {
        if (CurrentTest is { } test)
        {
            test.WriteOutput(line);
            return;
        }

        foreach (IArkerTestFramework framework in _registered)
        {
            framework.WriteDiagnostic(line);
        }
    }
}
