namespace Arker.Testing.Fixtures;

/// <summary>A test of the run that failed with its own VM: the evidence attached to its result, and the kept VM, if any.</summary>
public sealed record ArkerFailedTest
{
    /// <summary>The test, as its framework names it.</summary>
    public required string TestName { get; init; }

    /// <summary>The test's VM.</summary>
    public required string VmId { get; init; }

    /// <summary>The evidence files attached to the test's result (its VM's transcript first), on this machine.</summary>
    public IReadOnlyList<string> Attachments { get; init; } = [];

    /// <summary>How to reach the VM, kept for inspection (<c>ARKER_TESTING_KEEP_FAILED=1</c>); null when it was deleted.</summary>
    public string? Kept { get; init; }
}
