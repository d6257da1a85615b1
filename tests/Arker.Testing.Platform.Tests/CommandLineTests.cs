namespace Arker.Testing.Platform.Tests;

public sealed class CommandLineTests
{
    private static readonly string[] OptionNames =
    [
        "--arker-keep-failed", "--arker-attach-always", "--arker-require", "--arker-reuse", "--arker-pool-size", "--arker-max-vms",
        "--arker-base-url", "--arker-global-url", "--arker-run-id", "--arker-local-data-root",
    ];

    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task Help_lists_every_arker_option_with_its_environment_variable(string app)
    {
        AppRun run = await TestApp.Named(app).RunAsync(["--help"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string option in OptionNames)
        {
            Assert.Contains(option, run.Output, StringComparison.Ordinal);
        }

        Assert.Contains("Same as ARKER_TESTING_KEEP_FAILED=1.", run.Output, StringComparison.Ordinal);
        Assert.Contains("without root /dev/shm/arker-local-<uid>", System.Text.RegularExpressions.Regex.Replace(run.Output, @"\s+", " "), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task A_bad_option_value_stops_the_run_before_any_test_and_says_what_is_wrong(string app)
    {
        AppRun run = await TestApp.Named(app).RunAsync(["--arker-pool-size", "many"]);

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains("--arker-pool-size must be a whole number of at least 0 (got 'many')", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Arker run ", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ARKER_TESTING_RUN_ID", "no spaces allowed", "ARKER_TESTING_RUN_ID must be 1 to 57 letters, digits, '-' or '_' (got 'no spaces allowed')")]
    [InlineData("ARKER_TESTING_LOCAL_CACHE", "banana", "ARKER_TESTING_LOCAL_CACHE must be on (the default; also 1, true, yes), off (also 0, false, no) or clear (got 'banana')")]
    [InlineData("ARKER_TESTING_KEEP_FAILED", "sometimes", "ARKER_TESTING_KEEP_FAILED must be 1, true, yes or on")]
    public async Task A_bad_environment_variable_stops_the_run_too(string name, string value, string message)
    {
        AppRun run = await TestApp.Xunit.RunAsync([], new Dictionary<string, string> { [name] = value });

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains(message, run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task Keep_failed_keeps_the_failed_tests_VM_and_the_summary_counts_it(string app)
    {
        AppRun run = await TestApp.Named(app).RunAsync(["--arker-keep-failed"], new Dictionary<string, string> { ["ARKER_APP_MODE"] = "fail" });

        Assert.True(run.ExitCode != 0, run.ToString());
        Assert.Contains("Failing on purpose", run.Output, StringComparison.Ordinal);
        Assert.Contains("of the failed test (ARKER_TESTING_KEEP_FAILED=1)", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"Arker run arker-run-\S+: .*, 1 kept for failed tests, 0 VMs left behind\.", run.Output);
        Assert.DoesNotContain("exited without finishing", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_given_after_the_environment_already_started_are_reported_not_silently_dropped()
    {
        AppRun run = await TestApp.Xunit.RunAsync(["--arker-pool-size", "0"], new Dictionary<string, string> { ["ARKER_APP_EARLY_START"] = "1" });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("The shared Arker test environment has already started", run.Output, StringComparison.Ordinal);
        Assert.Contains("The --arker-* options do not apply to this run; its environment variables do.", run.Output, StringComparison.Ordinal);
    }
}
