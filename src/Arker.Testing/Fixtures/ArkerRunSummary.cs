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

    /// <summary>
    /// The median time a test waited for its own VM (a fork of its base with its shell started):
    /// near zero while the warm pool keeps up; null when no test had a VM of its own.
    /// </summary>
    public TimeSpan? MedianVmWait { get; init; }

    /// <summary>The longest a test waited for its own VM; far above the median when the warm pool ran dry.</summary>
    public TimeSpan? LongestVmWait { get; init; }

    /// <summary>The median time provisioning a base took; null when the run provisioned none.</summary>
    public TimeSpan? MedianProvisioningTime { get; init; }

    /// <summary>The lifetimes of all the run's VMs added together (what a cloud run is billed by).</summary>
    public TimeSpan VmTime { get; init; }

    /// <summary>VMs of failed tests kept on purpose (<c>ARKER_TESTING_KEEP_FAILED=1</c>).</summary>
    public int KeptForFailedTests { get; init; }

    /// <summary>The tests that failed with a VM of the run, in the order they ended: what was attached, and where a kept VM is.</summary>
    public IReadOnlyList<ArkerFailedTest> FailedTests { get; init; } = [];

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
        line.Append(CultureInfo.InvariantCulture, $"Arker run {RunId}: {Wording.Count(VmsCreated, "VM")} created, {Wording.Count(TestForks, "test fork")}");
        if (MedianForkTime is { } fork)
        {
            line.Append(CultureInfo.InvariantCulture, $" (fork p50 {fork.TotalMilliseconds:0.0} ms");
            if (MedianVmWait is { } wait && LongestVmWait is { } longest)
            {
                line.Append(CultureInfo.InvariantCulture, $"; a test's wait for its VM p50 {wait.TotalMilliseconds:0.0} ms, longest {longest.TotalMilliseconds:0.0} ms");
            }

            line.Append(')');
        }

        line.Append(CultureInfo.InvariantCulture, $", {Wording.Count(BasesProvisioned, "base")} provisioned");
        if (MedianProvisioningTime is { } provisioning)
        {
            line.Append(CultureInfo.InvariantCulture, $" (p50 {provisioning.TotalSeconds:0.00} s)");
        }

        if (BasesFromCache > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $", {Wording.Count(BasesFromCache, "base")} from the local base cache ({string.Join(", ", TemplatesFromCache)})");
        }

        if (ProvisionedAgain.Count > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $", {Wording.Count(ProvisionedAgain.Count, "base")} provisioned again ({string.Join("; ", ProvisionedAgain.Select(again => $"{again.Key}: {again.Value}"))})");
        }

        line.Append(CultureInfo.InvariantCulture, $", {VmTime.TotalSeconds:0.0} VM-seconds");
        if (KeptForFailedTests > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $", {KeptForFailedTests} kept for failed tests");
        }

        line.Append(CultureInfo.InvariantCulture, $", {Wording.Count(LeftBehind, "VM")} left behind.");
        return line.ToString();
    }

    /// <summary>
    /// The summary as Markdown, for a CI job's summary page (<c>GITHUB_STEP_SUMMARY</c>): the figures
    /// in a table, then each failed test with its VM, its attached evidence and, when it was kept, how
    /// to reach its VM.
    /// </summary>
    public string ToMarkdown()
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"### Arker run `{RunId}`\n\n");
        if (UnavailableReason is { } reason)
        {
            return text.Append("No VMs: ").Append(reason).Append('\n').ToString();
        }

        text.Append("| VMs created | test forks | fork p50 | a test's wait for its VM, p50 / longest | bases provisioned | bases from the local cache | VM-seconds | kept for failed tests | left behind |\n");
        text.Append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        text.Append(CultureInfo.InvariantCulture, $"| {VmsCreated} | {TestForks} | {(MedianForkTime is { } fork ? $"{fork.TotalMilliseconds:0.0} ms" : "–")} | {(MedianVmWait is { } wait && LongestVmWait is { } longest ? $"{wait.TotalMilliseconds:0.0} / {longest.TotalMilliseconds:0.0} ms" : "–")} | {BasesProvisioned}{(MedianProvisioningTime is { } provisioning ? $" (p50 {provisioning.TotalSeconds:0.00} s)" : "")} | {BasesFromCache} | {VmTime.TotalSeconds:0.0} | {KeptForFailedTests} | {(LeftBehind > 0 ? $"**{LeftBehind}**" : "0")} |\n");
        foreach ((string template, string why) in ProvisionedAgain)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nProvisioned again: `{template}` ({why}).\n");
        }

        if (FailedTests.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n**{Wording.Count(FailedTests.Count, "failed test")}**, each with its VM's evidence:\n\n");
            foreach (ArkerFailedTest failed in FailedTests)
            {
                text.Append(CultureInfo.InvariantCulture, $"- `{failed.TestName}` (VM `{failed.VmId}`)");
                text.Append(failed.Attachments.Count == 0 ? ": nothing attached" : ": " + Attachments(failed.Attachments));
                text.Append(failed.Kept is { } kept ? $"\n  - {kept}" : "").Append('\n');
            }
        }

        if (LeftBehind > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n> [!WARNING]\n> {Wording.Count(LeftBehind, "VM")} of the run could not be deleted; their names begin with `{RunId}`.\n");
        }

        return text.ToString();
    }

    /// <summary>The files by name, then the folder that holds them (relative to the current folder when inside it, as a CI workspace is).</summary>
    private static string Attachments(IReadOnlyList<string> files)
    {
        string folder = Path.GetDirectoryName(files[0]) ?? "";
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, folder);
        string shown = relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? folder : relative;
        return files.All(file => Path.GetDirectoryName(file) == folder)
            ? $"{string.Join(", ", files.Select(file => $"`{Path.GetFileName(file)}`"))} in `{shown}/`"
            : string.Join(", ", files.Select(file => $"`{file}`"));
    }

}
