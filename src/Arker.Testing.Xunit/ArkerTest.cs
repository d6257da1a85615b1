using Arker.Testing.Fixtures;
using Xunit.v3;

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
    private VmLease? _lease;

    /// <summary>This test's own VM.</summary>
    protected Computer Vm => _lease?.Vm ?? throw new InvalidOperationException("The VM is ready once the test starts (after InitializeAsync).");

    /// <summary>The provisioned base this test's VM was forked from.</summary>
    protected BaseVm BaseVm { get; private set; } = null!;

    /// <summary>The run's environment (client, settings, run id).</summary>
    protected ArkerTestEnvironment TestEnvironment { get; private set; } = null!;

    /// <summary>The test's output.</summary>
    protected static ITestOutputHelper Output => TestContext.Current.TestOutputHelper ?? throw new InvalidOperationException("No test is running.");

    /// <summary>The test's cancellation token (cancelled when the run is aborted or the test times out).</summary>
    protected static CancellationToken CancellationToken => TestContext.Current.CancellationToken;

    /// <summary>Gets the base VM (provisioning it on first use) and leases this test's fork.</summary>
    public virtual async ValueTask InitializeAsync()
    {
        TestEnvironment = await ArkerTestEnvironment.GetSharedAsync();
        ArkerAvailability.EnsureAvailable(TestEnvironment);

        ArkerVmAttribute choice = ArkerVmAttribute.For(GetType(), (TestContext.Current.TestMethod as IXunitTestMethod)?.Method);
        string scope = choice.ScopeKey(GetType());
        BaseVm baseVm = BaseVm = await TestEnvironment.GetBaseAsync(choice.CreateTemplate(), scope, CancellationToken);
        string testName = TestContext.Current.Test?.TestDisplayName ?? GetType().Name;
        _lease = await baseVm.LeaseAsync(testName, CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"[arker] VM {_lease.Vm.Id} (fork of {baseVm.Vm.Id}, template {baseVm.Template.Name})");
    }

    /// <summary>Verifies what this test changed below <paramref name="directory"/>, compared with its base (created, modified, deleted).</summary>
    protected Task VerifyChangesAsync(string directory, Snapshots.SnapshotSettings? settings = null, [System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "", [System.Runtime.CompilerServices.CallerMemberName] string member = "") =>
        Snapshots.ComputerSnapshots.VerifyChangesAsync(Vm, BaseVm, [directory], settings, CancellationToken, sourceFile, member);

    /// <summary>Deletes the test's VM, or keeps it when the test failed and keeping is on.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (_lease is null)
        {
            return;
        }

        bool failed = TestContext.Current.TestState?.Result == TestResult.Failed;
        string? note = await _lease.ReleaseAsync(failed);
        if (note is not null)
        {
            TestContext.Current.TestOutputHelper?.WriteLine("[arker] " + note);
        }

        GC.SuppressFinalize(this);
    }

}
