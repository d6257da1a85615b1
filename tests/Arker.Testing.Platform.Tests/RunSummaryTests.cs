namespace Arker.Testing.Platform.Tests;

public sealed class RunSummaryTests
{
    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task A_run_on_the_embedded_server_ends_with_a_summary_of_its_VMs(string app)
    {
        AppRun run = await TestApp.Named(app).RunAsync([]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"Arker run arker-run-\d{8}-\d{6}-[0-9a-f]{6}: \d+ VMs created, 1 test fork \(fork p50 [\d.]+ ms; a test's wait for its VM p50 [\d.]+ ms, longest [\d.]+ ms\), 1 base provisioned \(p50 [\d.]+ s\), [\d.]+ VM-seconds, 0 VMs left behind\.", run.Output);
    }

    // Every adapter routes the run's logs into the test's output (or the framework's diagnostics outside a test).
    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task The_run_logs_where_its_server_and_base_came_from_in_each_framework(string app)
    {
        AppRun run = await TestApp.Named(app).RunAsync(["--output", "Detailed"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("[arker] Started the local Arker server on http://127.0.0.1:", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"\[arker\] Provisioned base \S+ of template ubuntu-base in [\d.]+ s", run.Output);
        Assert.Matches(@"\[arker\] VM \S+ \(fork of \S+, template ubuntu-base\)", run.Output);
    }

    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task The_run_id_option_names_the_run_and_its_VMs_are_gone_from_the_server_at_its_end(string app)
    {
        await using ArkerCloudStandIn cloud = await ArkerCloudStandIn.StartAsync();
        string runId = "summary-" + Guid.NewGuid().ToString("N")[..12];

        AppRun run = await TestApp.Named(app).RunAsync(["--arker-run-id", runId], cloud.Variables);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches($@"Arker run {runId}-[0-9a-f]{{6}}: [3-9] VMs created, 1 test fork .*, 0 VMs left behind\.", run.Output);
        Assert.Empty(await cloud.VmsOfRunAsync(runId));
    }

    // Each test application of a job adds its run to the job's summary page, a failed test with its evidence.
    [Fact]
    public async Task On_GitHub_Actions_each_run_is_added_to_the_jobs_summary_with_its_failed_tests_and_their_evidence()
    {
        await using var scratch = new ScratchFolder("arker-step-summary-");
        string stepSummary = scratch.File("step-summary.md");
        File.WriteAllText(stepSummary, "# Earlier steps\n");

        AppRun failing = await TestApp.MSTest.RunAsync(
            ["--arker-run-id", "failing", "--arker-keep-failed", "--results-directory", scratch.File("results")],
            new Dictionary<string, string> { ["GITHUB_STEP_SUMMARY"] = stepSummary, ["ARKER_APP_MODE"] = "fail" });
        AppRun passing = await TestApp.TUnit.RunAsync(["--arker-run-id", "passing"], new Dictionary<string, string> { ["GITHUB_STEP_SUMMARY"] = stepSummary });

        Assert.True(failing.ExitCode != 0, failing.ToString());
        Assert.True(passing.ExitCode == 0, passing.ToString());
        string markdown = File.ReadAllText(stepSummary);
        Assert.StartsWith("# Earlier steps\n### Arker run `failing-", markdown, StringComparison.Ordinal);
        Assert.Matches(@"\| VMs created \| test forks \|.*\n\|---:\|.*\n\| \d+ \| 1 \| [\d.]+ ms \| [\d.]+ / [\d.]+ ms \| 1 \(p50 [\d.]+ s\) \| 0 \| [\d.]+ \| 1 \| 0 \|\n", markdown);
        Assert.Matches(@"\*\*1 failed test\*\*, each with its VM's evidence:\n\n- `Runs_a_command_in_its_VM \(1\)` \(VM `\S+`\): `transcript\.txt`, `home_user_greeting` in `[^`]+/results/arker/failing-[0-9a-f]{6}/AppTests\.Runs_a_command_in_its_VM\.[^`/]+/`\n  - Kept VM \S+ of the failed test", markdown);
        Assert.Matches(@"\n### Arker run `passing-[0-9a-f]{6}`\n\n\| VMs created", markdown);
        Assert.DoesNotContain("failed test**", markdown[markdown.IndexOf("### Arker run `passing-", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_summary_is_saved_as_JSON_in_the_test_results_folder_for_dotnet_test_and_CI()
    {
        string results = Directory.CreateTempSubdirectory("arker-results-").FullName;
        try
        {
            AppRun run = await TestApp.Xunit.RunAsync(["--results-directory", results, "--arker-run-id", "json-summary"]);

            Assert.True(run.ExitCode == 0, run.ToString());
            string file = Assert.Single(Directory.GetFiles(results, "json-summary-*.arker-summary.json"));
            Assert.Contains(file, run.Output, StringComparison.Ordinal); // listed as the session's file artifact
            using var json = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
            System.Text.Json.JsonElement root = json.RootElement;
            Assert.Equal(Path.GetFileName(file).Replace(".arker-summary.json", "", StringComparison.Ordinal), root.GetProperty("run_id").GetString());
            Assert.Matches("^json-summary-[0-9a-f]{6}$", root.GetProperty("run_id").GetString());
            Assert.Equal(1, root.GetProperty("test_forks").GetInt32());
            Assert.Equal(1, root.GetProperty("bases_provisioned").GetInt32());
            Assert.InRange(root.GetProperty("vms_created").GetInt32(), 2, 9);
            Assert.True(root.GetProperty("fork_p50_ms").GetDouble() > 0);
            Assert.InRange(root.GetProperty("vm_wait_p50_ms").GetDouble(), 0, root.GetProperty("vm_wait_longest_ms").GetDouble());
            Assert.True(root.GetProperty("vm_seconds").GetDouble() > 0);
            Assert.Equal(0, root.GetProperty("left_behind").GetInt32());
            Assert.Empty(root.GetProperty("provisioned_again").EnumerateObject()); // nothing was kept to compare with
            Assert.Equal([file], Directory.GetFiles(results, "*.arker-summary.json*"));
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }

    [Fact]
    public async Task Without_any_Arker_the_summary_says_why()
    {
        string scratch = Directory.CreateTempSubdirectory("arker-no-vms-").FullName;
        File.SetUnixFileMode(scratch, (UnixFileMode)0b111_101_101); // as root, the VM user may enter: what fails is the data root itself
        try
        {
            string notAFolder = Path.Combine(scratch, "a-file");
            File.WriteAllText(notAFolder, "");
            AppRun run = await TestApp.Xunit.RunAsync([], new Dictionary<string, string> { ["ARKER_TESTING_LOCAL_DATA_ROOT"] = Path.Combine(notAFolder, "data") });

            Assert.Matches(@"Arker run arker-run-\S+: no VMs\. No Arker VMs for these tests: ARKER_API_KEY is not set .* cannot make its folder in the data root", run.Output);
            Assert.Equal(["a-file"], Directory.GetFileSystemEntries(scratch).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public async Task In_VSTest_mode_the_environment_variables_still_apply_and_the_run_ends_with_its_VMs_deleted()
    {
        await using ArkerCloudStandIn cloud = await ArkerCloudStandIn.StartAsync();
        string runId = "vstest-" + Guid.NewGuid().ToString("N")[..12];
        Dictionary<string, string> variables = cloud.Variables;
        variables["ARKER_TESTING_RUN_ID"] = runId;
        variables["ARKER_TESTING_KEEP_FAILED"] = "1";
        variables["ARKER_APP_MODE"] = "fail";
        variables["VSTEST_TESTHOST_SHUTDOWN_TIMEOUT"] = "30000"; // as the README says: else vstest kills the host 100 ms after the run

        AppRun run = await TestApp.NUnitOnVSTest.RunAsync([], variables);

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains("Failing on purpose", run.Output, StringComparison.Ordinal);
        VmSummary kept = Assert.Single(await cloud.VmsOfRunAsync(runId)); // the failed test's VM, kept; the base and pool are gone
        Assert.Contains($"Kept VM {kept.VmId} of the failed test", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Arker run ", run.Output, StringComparison.Ordinal); // no platform, no summary
    }
}
