using Arker.Testing.Client;

namespace Arker.Testing.Fixtures;

/// <summary>
/// One test's own VM, a fork of its base. Releasing it deletes the VM, unless the test failed and
/// <c>ARKER_TESTING_KEEP_FAILED=1</c> asks to keep it for inspection.
/// </summary>
public sealed class VmLease : IAsyncDisposable
{
    private readonly RunVms _vms;
    private int _released;

    internal VmLease(RunVms vms, Computer vm, string testName)
    {
        _vms = vms;
        Vm = vm;
        TestName = testName;
    }

    /// <summary>The test's VM.</summary>
    public Computer Vm { get; }

    /// <summary>The test the VM belongs to.</summary>
    public string TestName { get; }

    /// <summary>
    /// Deletes the VM (in the background), or keeps it when <paramref name="testFailed"/> and keeping
    /// failed VMs is on; returns a line for the test's output when it was kept.
    /// </summary>
    public Task<string?> ReleaseAsync(bool testFailed)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return Task.FromResult<string?>(null);
        }

        if (testFailed && _vms.Settings.KeepFailed)
        {
            return Task.FromResult<string?>(_vms.Keep(Vm));
        }

        // The test need not wait for the deletion; the end of the run does.
        _vms.DeleteInBackground(Vm);
        return Task.FromResult<string?>(null);
    }

    /// <summary>Deletes the VM (as for a test that passed).</summary>
    public async ValueTask DisposeAsync() => await ReleaseAsync(testFailed: false);
}
