using System.Reflection;

namespace Arker.Testing.Extensibility;

/// <summary>
/// The running test as a test-framework adapter describes it to the core: which test it is, where
/// its output goes, and how its framework records a failed check or a skip. Naming snapshots,
/// choosing the base VM and the run's skip policy happen once, in the core, from this.
/// </summary>
public sealed class TestInfo
{
    /// <summary>The test class.</summary>
    public required Type TestClass { get; init; }

    /// <summary>The test method, when the framework knows it.</summary>
    public MethodInfo? TestMethod { get; init; }

    /// <summary>The test's arguments (theory data, test cases), in parameter order.</summary>
    /// <value>The default is none.</value>
    public IReadOnlyList<object?> Arguments { get; init; } = [];

    /// <summary>The test's name as the framework shows it.</summary>
    public required string DisplayName { get; init; }

    /// <summary>Writes a line to the test's output.</summary>
    public required Action<string> WriteOutput { get; init; }

    /// <summary>Attaches a file to the test's result (path, description), where the framework can.</summary>
    /// <value>The default is <see langword="null"/>: the framework keeps no attachments.</value>
    public Action<string, string>? AddAttachment { get; init; }

    /// <summary>Makes the framework's assertion exception, so a failed check is a failure, not an error.</summary>
    /// <value>The default is <see langword="null"/>: the core's own exceptions (xunit recognises them as assertion failures).</value>
    public Func<string, Exception>? CreateAssertionFailure { get; init; }

    /// <summary>Makes the exception that ends the test as skipped, with the reason.</summary>
    public required Func<string, Exception> CreateSkip { get; init; }
}
