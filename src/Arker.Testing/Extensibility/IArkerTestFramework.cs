namespace Arker.Testing.Extensibility;

/// <summary>
/// What a test-framework adapter tells the core at any moment: the test running on this thread
/// (read from the framework's own ambient context), and where lines go outside a test. Register it
/// with <see cref="ArkerTestFrameworks.Register"/>.
/// </summary>
public interface IArkerTestFramework
{
    /// <summary>The test running in the current context, or <see langword="null"/> outside this framework's tests.</summary>
    TestInfo? CurrentTest { get; }

    /// <summary>Writes a diagnostic line that belongs to no test (provisioning in a fixture, the end of the run).</summary>
    void WriteDiagnostic(string line);
}
