using Arker.Testing.Client;
using Arker.Testing.Extensibility;

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
    /// failed VMs is on; returns a line for the test's output when it was kept. A failed test's
    /// evidence (the VM's transcript and the files it named) is attached to the running test first.
    /// </summary>
    public Task<string?> ReleaseAsync(bool testFailed) => ReleaseAsync(testFailed, ArkerTestFrameworks.CurrentTest);

    /// <summary>As <see cref="ReleaseAsync(bool)"/>, attaching the evidence to <paramref name="test"/>.</summary>
    internal async Task<string?> ReleaseAsync(bool testFailed, TestInfo? test)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return null;
        }

        (IReadOnlyList<string> attached, string? problem) = testFailed || _vms.Settings.AttachAlways ? await AttachEvidenceAsync(test) : ([], null);
        string? kept = testFailed && _vms.Settings.KeepFailed ? _vms.Keep(Vm) : null;
        if (testFailed)
        {
            _vms.Statistics.Failed(new ArkerFailedTest { TestName = test?.DisplayName ?? TestName, VmId = Vm.Id, Attachments = attached, Kept = kept });
        }

        if (kept is null)
        {
            _vms.DeleteInBackground(Vm); // the test need not wait for the deletion; the end of the run does
        }

        return Lines(TestEvidence.Line("the VM's", attached, problem), kept);
    }

    /// <summary>
    /// For a VM that outlives the test (shared by a class's tests): attaches the failed test's
    /// evidence (the VM's transcript so far, every sharing test's commands, and the files named)
    /// and records the failure, without releasing the VM. Returns a line for the test's output.
    /// </summary>
    internal async Task<string?> RecordFailureAsync(TestInfo test)
    {
        (IReadOnlyList<string> attached, string? problem) = await AttachEvidenceAsync(test);
        _vms.Statistics.Failed(new ArkerFailedTest { TestName = test.DisplayName, VmId = Vm.Id, Attachments = attached });
        return TestEvidence.Line("the shared VM's", attached, problem);
    }

    /// <summary>The evidence files attached to <paramref name="test"/>, or why none could be (the test's own outcome stands either way).</summary>
    private async Task<(IReadOnlyList<string> Files, string? Problem)> AttachEvidenceAsync(TestInfo? test)
    {
        if (test is null || Vm.Evidence is not { } evidence)
        {
            return ([], null);
        }

        try
        {
            string folder = TestEvidence.NewFolder(_vms.Settings, _vms.RunId, test, Vm.Id);
            return (await TestEvidence.AttachAsync(Vm, evidence, test, folder, _vms.Lifetime), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArkerException or OperationCanceledException)
        {
            return ([], $"Could not attach the VM's transcript: {ex.Message}");
        }
    }

    private static string? Lines(string? first, string? second) => first is null ? second : second is null ? first : first + "\n[arker] " + second;

    /// <summary>Deletes the VM (as for a test that passed).</summary>
    public async ValueTask DisposeAsync() => await ReleaseAsync(testFailed: false);
}
