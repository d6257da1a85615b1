using System.Xml.Linq;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// A failed test's evidence (its VM's transcript and the files it named) reaches the TRX file a real
/// run of each framework writes (<c>--report-trx</c>), through that framework's own attachment API.
/// </summary>
public sealed class FailureEvidenceTests
{
    private static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task A_failed_tests_transcript_and_named_file_are_in_the_TRX(string app)
    {
        await using var scratch = new ScratchFolder("arker-evidence-");
        string results = scratch.File("results");

        AppRun run = await TestApp.Named(app).RunAsync(["--report-trx", "--results-directory", results], new Dictionary<string, string> { ["ARKER_APP_MODE"] = "fail" });

        Assert.True(run.ExitCode != 0, run.ToString());
        IReadOnlyDictionary<string, string> files = AttachedFiles(results, outcome: "Failed");
        string transcript = Assert.Single(files, file => file.Key.EndsWith("transcript.txt", StringComparison.Ordinal)).Value;
        string greeting = Assert.Single(files, file => Path.GetFileName(file.Key).StartsWith("home_user_greeting", StringComparison.Ordinal)).Value;
        Assert.Matches(@"^Transcript of VM \S+, the VM of test .*Runs_a_command_in_its_VM.*: 1 command\.\n", transcript);
        Assert.Matches(@"\n\[\+\d+\.\d{3} s\] session 0, \d+ ms, exit code 0\n\$ echo hello > greeting && cat greeting\n--- stdout ---\nhello\n", transcript);
        Assert.Contains("/home/user/greeting: attached as home_user_greeting", transcript, StringComparison.Ordinal);
        Assert.Equal("hello\n", greeting);
    }

    [Theory]
    [MemberData(nameof(TestApp.All), MemberType = typeof(TestApp))]
    public async Task A_passing_test_attaches_nothing_unless_asked(string app)
    {
        await using var scratch = new ScratchFolder("arker-evidence-");
        string quiet = scratch.File("quiet"), asked = scratch.File("asked");

        AppRun passing = await TestApp.Named(app).RunAsync(["--report-trx", "--results-directory", quiet]);
        AppRun attaching = await TestApp.Named(app).RunAsync(["--report-trx", "--results-directory", asked, "--arker-attach-always"]);

        Assert.True(passing.ExitCode == 0, passing.ToString());
        Assert.True(attaching.ExitCode == 0, attaching.ToString());
        Assert.Empty(AttachedFiles(quiet, outcome: "Passed"));
        Assert.False(Directory.Exists(Path.Combine(quiet, "arker")), "a passing run writes no evidence");
        Assert.Contains(AttachedFiles(asked, outcome: "Passed").Keys, file => file.EndsWith("transcript.txt", StringComparison.Ordinal));
    }

    /// <summary>The files the TRX in <paramref name="results"/> lists for its one test result, which has <paramref name="outcome"/>, by path, with their content.</summary>
    private static Dictionary<string, string> AttachedFiles(string results, string outcome)
    {
        string trxFile = Assert.Single(Directory.GetFiles(results, "*.trx"));
        XDocument trx = XDocument.Load(trxFile);
        string deploymentRoot = trx.Descendants(Trx + "Deployment").Single().Attribute("runDeploymentRoot")!.Value;
        XElement result = Assert.Single(trx.Descendants(Trx + "UnitTestResult"));
        Assert.Equal(outcome, result.Attribute("outcome")?.Value);
        string folder = Path.Combine(results, deploymentRoot, "In", result.Attribute("executionId")!.Value);
        return result.Descendants(Trx + "ResultFile")
            .Select(file => Path.Combine(folder, file.Attribute("path")!.Value))
            .ToDictionary(path => path, File.ReadAllText);
    }
}
