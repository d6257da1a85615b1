using Arker.Testing.Extensibility;

namespace Arker.Testing.Xunit;

/// <summary>
/// A test class whose every test gets its own VM: a fork of the base that the class's (or the
/// method's) <see cref="ArkerVmAttribute"/> names, made before the test and deleted after it (kept
/// on failure with <c>ARKER_TESTING_KEEP_FAILED=1</c>). Without any Arker, tests are skipped
/// locally and fail on CI.
/// </summary>
/// <example>
/// <code>
/// [ArkerVm(typeof(CliMachine))]
/// public class InstallTests : ArkerTest
/// {
///     [Fact]
///     public async Task Help_prints_usage() =>
///         (await Vm.RunAsync("mytool --help", CancellationToken)).ShouldSucceed().StdoutShouldContain("Usage:");
/// }
/// </code>
/// </example>
public abstract class ArkerTest : IAsyncLifetime
{
    private ArkerTestScope? _scope;

    /// <summary>This test's own VM.</summary>
    protected Computer Vm => Scope.Vm;

    /// <summary>The provisioned base this test's VM was forked from.</summary>
    protected BaseVm BaseVm => Scope.Base;

    /// <summary>The run's environment (client, settings, run id).</summary>
    protected ArkerTestEnvironment TestEnvironment => Scope.Environment;

    /// <summary>The test's output.</summary>
    protected static ITestOutputHelper Output => TestContext.Current.TestOutputHelper ?? throw new InvalidOperationException("No test is running.");

    /// <summary>
    /// The test's cancellation token: <c>TestContext.Current.CancellationToken</c>, cancelled when
    /// the run is aborted or the test times out. In a test with <c>[Fact(Timeout = …)]</c>, xunit's
    /// analyzer (xUnit1069) looks for <c>TestContext.Current.CancellationToken</c> by name and does
    /// not see it through this property: write that there (it is the same token).
    /// </summary>
    protected static CancellationToken CancellationToken => TestContext.Current.CancellationToken;

    private ArkerTestScope Scope => _scope ?? throw new InvalidOperationException("The VM is ready once the test starts (after InitializeAsync).");

    /// <summary>Gets the base VM (provisioning it on first use) and leases this test's fork.</summary>
    public virtual async ValueTask InitializeAsync() =>
        _scope = await ArkerTestScope.BeginAsync(XunitTestFramework.RequireCurrentTest(), CancellationToken);

    /// <summary>Verifies what this test changed below <paramref name="directory"/>, compared with its base (created, modified, deleted).</summary>
    protected Task VerifyChangesAsync(string directory, Snapshots.SnapshotSettings? settings = null, [System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "", [System.Runtime.CompilerServices.CallerMemberName] string member = "") =>
        Snapshots.ComputerSnapshots.VerifyChangesAsync(Vm, BaseVm, [directory], settings, CancellationToken, sourceFile, member);

    /// <summary>Deletes the test's VM, or keeps it when the test failed and keeping is on.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (_scope is not null)
        {
            await _scope.EndAsync(testFailed: TestContext.Current.TestState?.Result == TestResult.Failed);
        }

        GC.SuppressFinalize(this);
    }
}
