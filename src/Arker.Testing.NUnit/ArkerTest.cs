using System.Collections.Concurrent;
using Arker.Testing.Extensibility;
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
    // Tests of one fixture instance may run in parallel: each test's scope is found by its id.
    private readonly ConcurrentDictionary<string, ArkerTestScope> _scopes = new(StringComparer.Ordinal);

    /// <summary>This test's own VM.</summary>
    protected Computer Vm => Scope.Vm;

    /// <summary>The provisioned base this test's VM was forked from.</summary>
    protected BaseVm BaseVm => Scope.Base;

    /// <summary>The run's environment (client, settings, run id).</summary>
    protected ArkerTestEnvironment TestEnvironment => Scope.Environment;

    /// <summary>The test's cancellation token.</summary>
    protected static CancellationToken CancellationToken => TestContext.CurrentContext.CancellationToken;

    private ArkerTestScope Scope =>
        _scopes.TryGetValue(TestContext.CurrentContext.Test.ID, out ArkerTestScope? scope)
            ? scope
            : throw new InvalidOperationException("The VM is ready once the test starts (after the Arker set-up).");

    /// <summary>Gets the base VM (provisioning it on first use) and leases this test's fork.</summary>
    [SetUp]
    public async Task ArkerSetUpAsync() =>
        _scopes[TestContext.CurrentContext.Test.ID] = await ArkerTestScope.BeginAsync(NUnitTestFramework.RequireCurrentTest(), CancellationToken);

    /// <summary>Deletes the test's VM, or keeps it when the test failed and keeping is on.</summary>
    [TearDown]
    public async Task ArkerTearDownAsync()
    {
        if (_scopes.TryRemove(TestContext.CurrentContext.Test.ID, out ArkerTestScope? scope))
        {
            await scope.EndAsync(testFailed: TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed);
        }
    }

    /// <summary>Verifies what this test changed below <paramref name="directory"/>, compared with its base.</summary>
    protected Task VerifyChangesAsync(string directory, Snapshots.SnapshotSettings? settings = null, [System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "", [System.Runtime.CompilerServices.CallerMemberName] string member = "") =>
        Snapshots.ComputerSnapshots.VerifyChangesAsync(Vm, BaseVm, [directory], settings, CancellationToken, sourceFile, member);
}
