using System.Runtime.CompilerServices;
using Arker.Testing.Extensibility;

namespace Arker.Testing.NUnit;

/// <summary>NUnit as the core sees it: the running test read from <c>TestContext.CurrentContext</c>.</summary>
internal sealed class NUnitTestFramework : IArkerTestFramework
{
    public static readonly NUnitTestFramework Instance = new();

    public TestInfo? CurrentTest
    {
        get
        {
            TestContext.TestAdapter test = TestContext.CurrentContext.Test;
            return test.Type is { } fixture && test.Method?.MethodInfo is { } method ? Describe(test, fixture, method) : null;
        }
    }

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Snapshots, failed checks and logs must find the NUnit test whenever this adapter is loaded.")]
    internal static void Register() => ArkerTestFrameworks.Register(Instance);

    /// <summary>The running test; a clear error outside one.</summary>
    public static TestInfo RequireCurrentTest() =>
        Instance.CurrentTest ?? throw new InvalidOperationException("No NUnit test is running: a test's VM is leased in its set-up.");

    public void WriteDiagnostic(string line) => TestContext.Progress.WriteLine(line);

    private static TestInfo Describe(TestContext.TestAdapter test, Type fixture, System.Reflection.MethodInfo method) => new()
    {
        TestClass = fixture,
        TestMethod = method,
        Arguments = test.Arguments,
        DisplayName = test.FullName,
        WriteOutput = TestContext.Out.WriteLine,
        AddAttachment = TestContext.AddTestAttachment,
        // Thrown, not Assert.Fail/Assert.Ignore, so nothing is recorded in the result until NUnit sees the exception.
        CreateAssertionFailure = message => new AssertionException(message),
        CreateSkip = reason => new IgnoreException(reason),
    };
}
