using System.Reflection;
using System.Runtime.CompilerServices;
using Arker.Testing.Extensibility;
using TUnit.Core.Exceptions;

namespace Arker.Testing.TUnit;

/// <summary>TUnit as the core sees it: the running test read from <c>TestContext.Current</c>.</summary>
internal sealed class TUnitTestFramework : IArkerTestFramework
{
    public static readonly TUnitTestFramework Instance = new();

    public TestInfo? CurrentTest => TestContext.Current is { } context ? Describe(context) : null;

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Snapshots, failed checks and logs must find the TUnit test whenever this adapter is loaded.")]
    internal static void Register() => ArkerTestFrameworks.Register(Instance);

    /// <summary>The running test; a clear error outside one.</summary>
    public static TestInfo RequireCurrentTest() =>
        Instance.CurrentTest ?? throw new InvalidOperationException("No TUnit test is running: a test's VM is leased in its [Before(Test)] hook.");

    /// <summary>Outside a test (a class or session hook), TUnit shows the console's lines in the run's output.</summary>
    public void WriteDiagnostic(string line) => Console.WriteLine(line);

    private static TestInfo Describe(TestContext context)
    {
        TestDetails details = context.Metadata.TestDetails;
        return new TestInfo
        {
            TestClass = details.ClassType,
            TestMethod = MethodNamed(details.ClassType, details.MethodName),
            Arguments = details.TestMethodArguments,
            DisplayName = context.Metadata.DisplayName,
            WriteOutput = context.Output.WriteLine,
            AddAttachment = (path, description) => context.Output.AttachArtifact(path, Path.GetFileName(path), description),
            CreateSkip = reason => new SkipTestException(reason),
        };
    }

    // A test method is public; TUnit's own metadata names it, and an overload would be ambiguous to its filters too.
    private static MethodInfo? MethodNamed(Type testClass, string name) =>
        testClass.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).FirstOrDefault(method => method.Name == name);
}
