using Arker.Testing.Extensibility;

namespace Arker.Testing.MSTest;

/// <summary>
/// A test class whose every test gets its own VM: a fork of the base that the class's (or the
/// method's) <see cref="ArkerVmAttribute"/> names, made in <c>[TestInitialize]</c> and deleted in
/// <c>[TestCleanup]</c> (kept on failure with <c>ARKER_TESTING_KEEP_FAILED=1</c>). Safe with
/// <c>[assembly: Parallelize(Scope = ExecutionScope.MethodLevel)]</c>: MSTest makes an instance per
/// test. Without any Arker, tests are inconclusive (skipped) locally and fail on CI.
/// </summary>
/// <example>
/// <code>
/// [TestClass]
/// [ArkerVm(typeof(CliMachine))]
/// public sealed class InstallTests : ArkerTest
/// {
///     [TestMethod]
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

    /// <summary>The test's cancellation token (<c>TestContext.CancellationToken</c>): cancelled when the run is aborted or the test times out.</summary>
    protected static CancellationToken CancellationToken => MSTestTestFramework.Current?.CancellationToken ?? CancellationToken.None;

    private ArkerTestScope Scope => _scope ?? throw new InvalidOperationException("The VM is ready once the test starts (after the Arker [TestInitialize]).");

    /// <summary>Gets the base VM (provisioning it on first use) and leases this test's fork.</summary>
    [TestInitialize]
    public async Task ArkerInitializeAsync() =>
        _scope = await ArkerTestScope.BeginAsync(MSTestTestFramework.RequireCurrentTest(), CancellationToken);

    /// <summary>Deletes the test's VM, or keeps it when the test failed and keeping is on.</summary>
    [TestCleanup]
    public async Task ArkerCleanupAsync()
    {
        if (_scope is not null)
        {
            await _scope.EndAsync(testFailed: MSTestTestFramework.Current?.CurrentTestOutcome is UnitTestOutcome.Failed or UnitTestOutcome.Error or UnitTestOutcome.Timeout or UnitTestOutcome.Aborted);
        }
    }

    /// <summary>Verifies what this test changed below <paramref name="directory"/>, compared with its base (created, modified, deleted).</summary>
    protected Task VerifyChangesAsync(string directory, Snapshots.SnapshotSettings? settings = null, [System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "", [System.Runtime.CompilerServices.CallerMemberName] string member = "") =>
        Snapshots.ComputerSnapshots.VerifyChangesAsync(Vm, BaseVm, [directory], settings, CancellationToken, sourceFile, member);
}
