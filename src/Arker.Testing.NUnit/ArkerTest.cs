using System.Collections.Concurrent;
using Arker.Testing.Fixtures;
using NUnit.Framework.Interfaces;

namespace Arker.Testing.NUnit;

/// <summary>
/// A fixture whose every test gets its own VM, a fork of the base the fixture's (or the test's)
/// <see cref="ArkerVmAttribute"/> names; made in set-up, deleted in tear-down (kept on failure with
/// <c>ARKER_TESTING_KEEP_FAILED=1</c>). Safe with <c>[Parallelizable(ParallelScope.All)]</c> and
/// <c>[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]</c>. Without any Arker, tests are ignored
/// locally and fail on CI.
/// </summary>
public abstract class ArkerTest
{
    // Tests of one fixture instance may run in parallel: each test's lease is found by its id.
    private readonly ConcurrentDictionary<string, (VmLease Lease, BaseVm Base)> _leases = new(StringComparer.Ordinal);

    /// <summary>This test's own VM.</summary>
    protected Computer Vm => Current.Lease.Vm;

    /// <summary>The provisioned base this test's VM was forked from.</summary>
    protected BaseVm BaseVm => Current.Base;

    /// <summary>The run's environment (client, settings, run id).</summary>
    protected ArkerTestEnvironment TestEnvironment { get; private set; } = null!;

    /// <summary>The test's cancellation token.</summary>
    protected static CancellationToken CancellationToken => TestContext.CurrentContext.CancellationToken;

    private (VmLease Lease, BaseVm Base) Current =>
        _leases.TryGetValue(TestContext.CurrentContext.Test.ID, out var current)
            ? current
            : throw new InvalidOperationException("The VM is ready once the test starts (after the Arker set-up).");

    /// <summary>Gets the base VM (provisioning it on first use) and leases this test's fork.</summary>
    [SetUp]
    public async Task ArkerSetUpAsync()
    {
        TestEnvironment = await ArkerTestEnvironment.GetSharedAsync();
        NUnitAvailability.EnsureAvailable(TestEnvironment);

        ArkerVmAttribute choice = ArkerVmAttribute.For(GetType(), TestContext.CurrentContext.Test.Method?.MethodInfo);
        string scope = choice.ScopeKey(GetType());
        BaseVm baseVm = await TestEnvironment.GetBaseAsync(choice.CreateTemplate(), scope, CancellationToken);
        VmLease lease = await baseVm.LeaseAsync(TestContext.CurrentContext.Test.FullName, CancellationToken);
        _leases[TestContext.CurrentContext.Test.ID] = (lease, baseVm);
        await TestContext.Out.WriteLineAsync($"[arker] VM {lease.Vm.Id} (fork of {baseVm.Vm.Id}, template {baseVm.Template.Name})");
    }

    /// <summary>Deletes the test's VM, or keeps it when the test failed and keeping is on.</summary>
    [TearDown]
    public async Task ArkerTearDownAsync()
    {
        if (!_leases.TryRemove(TestContext.CurrentContext.Test.ID, out var current))
        {
            return;
        }

        bool failed = TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed;
        if (await current.Lease.ReleaseAsync(failed) is { } note)
        {
            await TestContext.Out.WriteLineAsync("[arker] " + note);
        }
    }

    /// <summary>Verifies what this test changed below <paramref name="directory"/>, compared with its base.</summary>
    protected Task VerifyChangesAsync(string directory, Snapshots.SnapshotSettings? settings = null, [System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "", [System.Runtime.CompilerServices.CallerMemberName] string member = "") =>
        Snapshots.ComputerSnapshots.VerifyChangesAsync(Vm, BaseVm, [directory], settings, CancellationToken, sourceFile, member);

}
