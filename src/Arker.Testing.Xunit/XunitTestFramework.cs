using System.Runtime.CompilerServices;
using Arker.Testing.Extensibility;
using Xunit.v3;

namespace Arker.Testing.Xunit;

/// <summary>xunit.v3 as the core sees it: the running test read from <c>TestContext.Current</c>.</summary>
internal sealed class XunitTestFramework : IArkerTestFramework
{
    /// <summary>xunit.v3 reports an exception whose message starts with this token as a skip, the rest being the reason.</summary>
    internal const string DynamicSkipToken = "$XunitDynamicSkip$";

    public static readonly XunitTestFramework Instance = new();

    public TestInfo? CurrentTest => TestContext.Current.Test is IXunitTest test ? Describe(test) : null;

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "Snapshots, failed checks and logs must find the xunit test whenever this adapter is loaded.")]
    internal static void Register() => ArkerTestFrameworks.Register(Instance);

    /// <summary>The running test; a clear error outside one.</summary>
    public static TestInfo RequireCurrentTest() =>
        Instance.CurrentTest ?? throw new InvalidOperationException("No xunit test is running: a test's VM is leased while the test runs.");

    public void WriteDiagnostic(string line) => TestContext.Current.SendDiagnosticMessage(line);

    /// <summary>xunit keeps attachments by value: text as text, anything else (a binary log, say) as bytes.</summary>
    private static void Attach(string path)
    {
        byte[] content = File.ReadAllBytes(path);
        try
        {
            TestContext.Current.AddAttachment(Path.GetFileName(path), StrictUtf8.GetString(content), replaceExistingValue: true);
        }
        catch (System.Text.DecoderFallbackException)
        {
            TestContext.Current.AddAttachment(Path.GetFileName(path), content, replaceExistingValue: true, mediaType: "application/octet-stream");
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static TestInfo Describe(IXunitTest test) => new()
    {
        TestClass = test.TestMethod.TestClass.Class,
        TestMethod = test.TestMethod.Method,
        Arguments = test.TestMethodArguments,
        DisplayName = test.TestDisplayName,
        WriteOutput = line => TestContext.Current.TestOutputHelper?.WriteLine(line),
        AddAttachment = (path, _) => Attach(path),
        CreateSkip = reason => new ArkerUnavailableException(DynamicSkipToken + reason, required: false),
    };
}
