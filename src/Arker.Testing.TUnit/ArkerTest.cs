using Arker.Testing.Extensibility;

namespace Arker.Testing.TUnit;

/// <summary>
/// A test class whose every test gets its own VM: a fork of the base that the class's (or the
/// method's) <see cref="ArkerVmAttribute"/> names, made before the test and deleted after it (kept
/// on failure with <c>ARKER_TESTING_KEEP_FAILED=1</c>). TUnit makes an instance per test and runs
/// tests in parallel, which is safe: each test's VM is its own. Without any Arker, tests are skipped
/// locally and fail on CI.
/// </summary>
/// <example>
/// <code>
/// [ArkerVm(typeof(CliMachine))]
/// public sealed class InstallTests : ArkerTest
/// {
///     [Test]
///     public async Task Help_prints_usage() =>
///         (await Vm.RunAsync("mytool --help", CancellationToken)).ShouldSucceed().StdoutShouldContain("Usage:");
/// }
/// </code>
/// </example>
public abstract class ArkerTest
{
    private ArkerTestScope? _scope;

    /// <summary>This test's own VM.</summary>
    protected Computer Vm => Scope.Vm;

    /// <summary>The provisioned base this test's VM was forked from.</summary>
    protected BaseVm BaseVm => Scope.Base;

    /// <summary>The run's environment (client, settings, run id).</summary>
    protected ArkerTestEnvironment TestEnvironment => Scope.Environment;

    /// <summary>The test's cancellation token (<c>TestContext.Current.Execution.CancellationToken</c>): cancelled when the run is aborted or the test times out.</summary>
    protected static CancellationToken CancellationToken => TestContext.Current?.Execution.CancellationToken ?? CancellationToken.None;

    private ArkerTestScope Scope => _scope ?? throw new InvalidOperationException("The VM is ready once the test starts (after the Arker [Before(Test)] hook).");

    /// <summary>Gets the base VM (provisioning it on first use) and leases this test's fork.</summary>
    [Before(HookType.Test)]
    public async Task ArkerBeforeTestAsync() =>
        _scope = await ArkerTestScope.BeginAsync(TUnitTestFramework.RequireCurrentTest(), CancellationToken);

    /// <summary>Deletes the test's VM, or keeps it when the test failed and keeping is on.</summary>
    [After(HookType.Test)]
    public async Task ArkerAfterTestAsync()
    {
        if (_scope is not null)
        {
            await _scope.EndAsync(testFailed: TestContext.Current?.Execution.Result?.State is TestState.Failed or TestState.Timeout);
        }
    }

    /// <summary>Verifies what this test changed below <paramref name="directory"/>, compared with its base (created, modified, deleted).</summary>
    protected Task VerifyChangesAsync(string directory, Snapshots.SnapshotSettings? settings = null, [System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "", [System.Runtime.CompilerServices.CallerMemberName] string member = "") =>
        Snapshots.ComputerSnapshots.VerifyChangesAsync(Vm, BaseVm, [directory], settings, CancellationToken, sourceFile, member);
}
