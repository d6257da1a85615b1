using System.Globalization;

namespace Arker.Testing.Fixtures;

/// <summary>What one test run did with Arker VMs, reported when it ends.</summary>
public sealed record ArkerRunSummary
{
    /// <summary>The run's id, which named each of its VMs.</summary>
    public required string RunId { get; init; }

    /// <summary>Every VM the run made: bases, warm-pool forks and tests' forks.</summary>
    public int VmsCreated { get; init; }

    /// <summary>VMs handed to tests (each a fork of a base).</summary>
    public int TestForks { get; init; }

    /// <summary>Bases the run provisioned (not those reused from an earlier run).</summary>
    public int BasesProvisioned { get; init; }

    /// <summary>Bases that came from the embedded local server's base cache instead of being provisioned.</summary>
    public int BasesFromCache => TemplatesFromCache.Count;

    /// <summary>The templates whose bases came from the embedded local server's base cache.</summary>
    public IReadOnlyList<string> TemplatesFromCache { get; init; } = [];

    /// <summary>
    /// The templates whose kept bases (in the local base cache, or on the service with
    /// <c>ARKER_TESTING_REUSE</c>) could not be reused, each with why: what changed on this
    /// machine since the base was provisioned (<c>testdata/tool.py changed</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string> ProvisionedAgain { get; init; } = new Dictionary<string, string>();

    /// <summary>The median time a fork took, seen by the client; null when the run made none.</summary>
    public TimeSpan? MedianForkTime { get; init; }

    /// <summary>The median time provisioning a base took; null when the run provisioned none.</summary>
    public TimeSpan? MedianProvisioningTime { get; init; }

    /// <summary>The lifetimes of all the run's VMs added together (what a cloud run is billed by).</summary>
    public TimeSpan VmTime { get; init; }

    /// <summary>VMs of failed tests kept on purpose (<c>ARKER_TESTING_KEEP_FAILED=1</c>).</summary>
    public int KeptForFailedTests { get; init; }

    /// <summary>VMs of the run that still exist after its clean-up and were not kept on purpose; should be 0.</summary>
    public int LeftBehind { get; init; }

    /// <summary>Why the run had no VMs at all (no API key, and the local server cannot run here); null when it had them.</summary>
    public string? UnavailableReason { get; init; }

    /// <summary>The summary in one line, as test runs print it.</summary>
    public override string ToString()
    {
        if (UnavailableReason is { } reason)
        {
            return $"Arker run {RunId}: no VMs. {reason}";
        }

        var line = new System.Text.StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"Arker run {RunId}: {Count(VmsCreated, "VM")} created, {Count(TestForks, "test fork")}");
        if (MedianForkTime is { } fork)
        {
            line.Append(CultureInfo.InvariantCulture, $" (fork p50 {fork.TotalMilliseconds:0.0} ms)");
        }

        line.Append(CultureInfo.InvariantCulture, $", {Count(BasesProvisioned, "base")} provisioned");
        if (MedianProvisioningTime is { } provisioning)
        {
            line.Append(CultureInfo.InvariantCulture, $" (p50 {provisioning.TotalSeconds:0.00} s)");
        }

        if (BasesFromCache > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $", {Count(BasesFromCache, "base")} from the local base cache ({string.Join(", ", TemplatesFromCache)})");
        }

        if (ProvisionedAgain.Count > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $", {Count(ProvisionedAgain.Count, "base")} provisioned again ({string.Join("; ", ProvisionedAgain.Select(again => $"{again.Key}: {again.Value}"))})");
        }

        line.Append(CultureInfo.InvariantCulture, $", {VmTime.TotalSeconds:0.0} VM-seconds");
        if (KeptForFailedTests > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $", {KeptForFailedTests} kept for failed tests");
        }

        line.Append(CultureInfo.InvariantCulture, $", {Count(LeftBehind, "VM")} left behind.");
        return line.ToString();
    }

    private static string Count(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? "" : "s");
}
