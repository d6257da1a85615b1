using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Arker.Testing.Extensibility;

namespace Arker.Testing.MSTest;

/// <summary>MSTest as the core sees it: the running test read from <c>TestContext.Current</c>.</summary>
internal sealed class MSTestTestFramework : IArkerTestFramework
{
    public static readonly MSTestTestFramework Instance = new();

    // MSTest's context names the class by its full name only: found once among the loaded assemblies.
    private static readonly ConcurrentDictionary<string, Type?> ClassesByName = new(StringComparer.Ordinal);

    public TestInfo? CurrentTest => Current is { } context ? Describe(context) : null;

    /// <summary>The running test's context, or <see langword="null"/> outside a test.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "MSTESTEXP", Justification = "The one ambient view of the running test MSTest 4 has; the supported range is pinned below MSTest 5.")]
    internal static TestContext? Current =>
#pragma warning disable MSTESTEXP
        TestContext.Current;
#pragma warning restore MSTESTEXP

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Snapshots, failed checks and logs must find the MSTest test whenever this adapter is loaded.")]
    internal static void Register() => ArkerTestFrameworks.Register(Instance);

    /// <summary>The running test; a clear error outside one.</summary>
    public static TestInfo RequireCurrentTest() =>
        Instance.CurrentTest ?? throw new InvalidOperationException("No MSTest test is running: a test's VM is leased in its [TestInitialize].");

    /// <summary>Outside a test MSTest has no diagnostic channel of its own: the console reaches the run's output.</summary>
    public void WriteDiagnostic(string line) => Console.WriteLine(line);

    private static TestInfo? Describe(TestContext context)
    {
        if (context.FullyQualifiedTestClassName is not { } className || ClassNamed(className) is not { } testClass)
        {
            return null;
        }

        return new TestInfo
        {
            TestClass = testClass,
            TestMethod = context.TestName is { } name ? MethodNamed(testClass, name) : null,
            Arguments = context.TestData ?? [],
            DisplayName = context.TestDisplayName ?? $"{className}.{context.TestName}",
            WriteOutput = context.WriteLine,
            AddAttachment = (path, _) => context.AddResultFile(path),
            // Thrown, not Assert.Fail/Assert.Inconclusive, so MSTest records them when the test ends with them.
            CreateAssertionFailure = message => new AssertFailedException(message),
            CreateSkip = reason => new AssertInconclusiveException(reason),
        };
    }

    private static Type? ClassNamed(string fullName) =>
        ClassesByName.GetOrAdd(fullName, static name => AppDomain.CurrentDomain.GetAssemblies()
            .Where(assembly => !assembly.IsDynamic)
            .Select(assembly => assembly.GetType(name, throwOnError: false))
            .FirstOrDefault(type => type is not null));

    // A test method is public; an overload would be ambiguous to MSTest's own filter too, so the first is the one.
    private static MethodInfo? MethodNamed(Type testClass, string name) =>
        testClass.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).FirstOrDefault(method => method.Name == name);
}
