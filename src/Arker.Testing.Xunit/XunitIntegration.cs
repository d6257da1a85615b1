using System.Globalization;
using System.Runtime.CompilerServices;
using Arker.Testing.Snapshots;
using Xunit.v3;

namespace Arker.Testing.Xunit;

/// <summary>Hooks the core into xunit when the adapter loads: snapshot names from the running test, logs to its output.</summary>
internal static class XunitIntegration
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Snapshots must know the xunit test whenever this adapter is loaded.")]
    internal static void Register()
    {
        Snapshot.IdentityResolver ??= Resolve;
        Fixtures.ArkerTestEnvironment.SharedLoggerFactory ??= new XunitLoggerFactory();
    }

    internal static SnapshotIdentity? Resolve(string sourceFile, string member)
    {
        if (TestContext.Current.Test is not IXunitTest test)
        {
            return null;
        }

        string className = test.TestMethod.TestClass.Class.Name;
        // A caller that names its snapshot (several in one test) passes its own member name.
        string method = member.Length > 0 && member != test.TestMethod.MethodName ? member : test.TestMethod.MethodName;
        System.Reflection.ParameterInfo[] parameters = test.TestMethod.Method.GetParameters();
        string arguments = string.Concat(test.TestMethodArguments.Select((value, i) =>
            $"_{(i < parameters.Length ? parameters[i].Name : "arg" + i)}={Format(value)}"));
        return new SnapshotIdentity(SnapshotIdentity.SourceDirectory(sourceFile), className, method, arguments);
    }

    private static string Format(object? value)
    {
        string text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null";
        char[] invalid = Path.GetInvalidFileNameChars();
        return new string([.. text.Select(c => invalid.Contains(c) || c is ' ' or '.' ? '_' : c)]);
    }
}
