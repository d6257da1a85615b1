using System.Runtime.CompilerServices;
using Arker.Testing.Assertions;
using Arker.Testing.Snapshots;

namespace Arker.Testing.NUnit;

/// <summary>Hooks the core into NUnit when the adapter loads: failed checks are NUnit failures, received snapshots are attached.</summary>
internal static class NUnitIntegration
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Failed checks must be NUnit failures whenever this adapter is loaded.")]
    internal static void Register()
    {
        AssertionFailures.Factory ??= message => new AssertionException(message);
        Snapshot.ReceivedWritten ??= path => TestContext.AddTestAttachment(path, "received snapshot: rename to .verified to accept");
        Snapshot.IdentityResolver ??= Resolve;
    }

    /// <summary>The running NUnit test as a snapshot identity: fixture class, method, arguments.</summary>
    internal static SnapshotIdentity? Resolve(string sourceFile, string member)
    {
        TestContext.TestAdapter test = TestContext.CurrentContext.Test;
        if (test.MethodName is not { } method || test.ClassName is not { } fullClass)
        {
            return null;
        }

        string name = member.Length > 0 && member != method ? member : method;
        System.Reflection.ParameterInfo[] parameters = test.Method?.MethodInfo.GetParameters() ?? [];
        string arguments = string.Concat(test.Arguments.Select((value, i) =>
            $"_{(i < parameters.Length ? parameters[i].Name : "arg" + i)}={Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)}"));
        return new SnapshotIdentity(SnapshotIdentity.SourceDirectory(sourceFile), fullClass[(fullClass.LastIndexOf('.') + 1)..], name, arguments);
    }
}
