using YamlDotNet.RepresentationModel;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// The README's GitHub Actions job (docs/ci/github-actions.yml), which CI cannot run here: it is the
/// file the README prints, it parses as the workflow it means to be, and its test command's options
/// run a test application that writes the TRX, the platform's job summary and the Arker run summary.
/// </summary>
public sealed class CiJobTests
{
    private static readonly string JobFile = Path.Combine(BuildMetadata.Get("RepositoryRoot"), "docs", "ci", "github-actions.yml");

    [Fact]
    public void The_README_prints_the_job_file_as_it_is()
    {
        Assert.Equal(File.ReadAllText(JobFile), Readme.Snippet("github-actions-job"));
    }

    [Fact]
    public void The_job_parses_and_tests_reports_and_uploads_the_evidence_of_a_failed_run()
    {
        YamlMappingNode job = Mapping(Mapping(Workflow(), "jobs"), "test");
        YamlMappingNode[] steps = [.. ((YamlSequenceNode)job.Children[new YamlScalarNode("steps")]).Children.Cast<YamlMappingNode>()];
        YamlMappingNode upload = Assert.Single(steps, step => Scalar(step, "uses")?.StartsWith("actions/upload-artifact@", StringComparison.Ordinal) == true);

        Assert.Equal("ubuntu-24.04", Scalar(job, "runs-on"));
        Assert.Contains(steps, step => Scalar(step, "uses")?.StartsWith("actions/setup-dotnet@", StringComparison.Ordinal) == true && Scalar(Mapping(step, "with"), "dotnet-version") == "10.0.x");
        Assert.Contains(steps, step => Scalar(step, "run")?.Contains("apt-get install -y bubblewrap uidmap skopeo umoci", StringComparison.Ordinal) == true);
        Assert.StartsWith("dotnet test -c Release ", TestCommand(steps), StringComparison.Ordinal);
        Assert.Equal("failure()", Scalar(upload, "if"));
        Assert.Equal(["TestResults/", "**/*.received.*"], Scalar(Mapping(upload, "with"), "path")!.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_jobs_test_options_write_the_TRX_and_both_summaries_for_a_failed_run()
    {
        await using var scratch = new ScratchFolder("arker-ci-job-");
        string stepSummary = scratch.File("step-summary.md");
        File.WriteAllText(stepSummary, "");
        string[] options = TestCommand(((YamlSequenceNode)Mapping(Mapping(Workflow(), "jobs"), "test").Children[new YamlScalarNode("steps")]).Children.Cast<YamlMappingNode>())
            ["dotnet test -c Release ".Length..].Split(' ');
        options[Array.IndexOf(options, "--results-directory") + 1] = scratch.File("TestResults"); // the job's is relative to its checkout

        AppRun run = await TestApp.MSTest.RunAsync(options, new Dictionary<string, string> { ["GITHUB_STEP_SUMMARY"] = stepSummary, ["GITHUB_ACTIONS"] = "true", ["ARKER_APP_MODE"] = "fail" });

        Assert.True(run.ExitCode != 0, run.ToString());
        string summary = File.ReadAllText(stepSummary);
        Assert.Single(Directory.GetFiles(scratch.File("TestResults"), "*.trx"));
        Assert.Matches(@"Test Run Summary — Arker\.Testing\.Apps\.MSTest(.|\n)*Failures \(1\)(.|\n)*Runs_a_command_in_its_VM", summary); // the platform's own report
        Assert.Matches(@"### Arker run `arker-run-\S+`\n(.|\n)*\*\*1 failed test\*\*(.|\n)*`transcript\.txt`(.|\n)* in `[^`]*/TestResults/arker/", summary);
        Assert.Matches(@"::error .*Runs_a_command_in_its_VM", run.Output); // an annotation for the test tab
    }

    private static YamlMappingNode Workflow()
    {
        var yaml = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(JobFile));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }

    private static string TestCommand(IEnumerable<YamlMappingNode> steps) =>
        steps.Single(step => Scalar(step, "name") == "Test").Children[new YamlScalarNode("run")].ToString();

    private static YamlMappingNode Mapping(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? value) ? ((YamlScalarNode)value).Value : null;
}
