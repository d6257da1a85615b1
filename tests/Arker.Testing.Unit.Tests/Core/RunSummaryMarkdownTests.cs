using Arker.Testing.Fixtures;

namespace Arker.Testing.Unit.Tests.Core;

public sealed class RunSummaryMarkdownTests
{
    [Fact]
    public void The_figures_are_a_table_and_each_failed_test_lists_its_evidence_and_kept_VM()
    {
        var summary = new ArkerRunSummary
        {
            RunId = "arker-run-1",
            VmsCreated = 12,
            TestForks = 9,
            BasesProvisioned = 1,
            MedianForkTime = TimeSpan.FromMilliseconds(8.44),
            MedianVmWait = TimeSpan.FromMilliseconds(0.42),
            LongestVmWait = TimeSpan.FromMilliseconds(31.06),
            MedianProvisioningTime = TimeSpan.FromSeconds(5.5),
            VmTime = TimeSpan.FromSeconds(20.04),
            KeptForFailedTests = 1,
            ProvisionedAgain = new Dictionary<string, string> { ["NotesMachine"] = "testdata/notes changed" },
            FailedTests =
            [
                new ArkerFailedTest { TestName = "InstallTests.Upgrade", VmId = "vm-7", Attachments = ["/r/transcript.txt", "/r/var_log_app.log"], Kept = "Kept VM vm-7 of the failed test." },
                new ArkerFailedTest { TestName = "InstallTests.Bad", VmId = "vm-8" },
            ],
        };

        Assert.Equal(
            """
            ### Arker run `arker-run-1`

            | VMs created | test forks | fork p50 | a test's wait for its VM, p50 / longest | bases provisioned | bases from the local cache | VM-seconds | kept for failed tests | left behind |
            |---:|---:|---:|---:|---:|---:|---:|---:|---:|
            | 12 | 9 | 8.4 ms | 0.4 / 31.1 ms | 1 (p50 5.50 s) | 0 | 20.0 | 1 | 0 |

            Provisioned again: `NotesMachine` (testdata/notes changed).

            **2 failed tests**, each with its VM's evidence:

            - `InstallTests.Upgrade` (VM `vm-7`): `transcript.txt`, `var_log_app.log` in `/r/`
              - Kept VM vm-7 of the failed test.
            - `InstallTests.Bad` (VM `vm-8`): nothing attached

            """.ReplaceLineEndings("\n"),
            summary.ToMarkdown());
    }

    [Fact]
    public void VMs_left_behind_are_a_warning_and_a_run_without_VMs_says_why()
    {
        string leftBehind = new ArkerRunSummary { RunId = "r", LeftBehind = 2 }.ToMarkdown();
        string unavailable = new ArkerRunSummary { RunId = "r", UnavailableReason = "ARKER_API_KEY is not set." }.ToMarkdown();

        Assert.Contains("| **2** |\n", leftBehind, StringComparison.Ordinal);
        Assert.EndsWith("> [!WARNING]\n> 2 VMs of the run could not be deleted; their names begin with `r`.\n", leftBehind, StringComparison.Ordinal);
        Assert.Equal("### Arker run `r`\n\nNo VMs: ARKER_API_KEY is not set.\n", unavailable);
    }
}
