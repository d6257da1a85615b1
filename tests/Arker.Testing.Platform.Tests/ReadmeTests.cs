using System.Diagnostics;

namespace Arker.Testing.Platform.Tests;

/// <summary>What the README prints and CI can check without a VM: it must do what it says, as printed.</summary>
public sealed class ReadmeTests : IDisposable
{
    private readonly string _repository = Directory.CreateTempSubdirectory("arker-readme-").FullName;

    [Fact]
    public async Task The_gitignore_snippet_ignores_received_snapshots_and_test_results_and_nothing_else()
    {
        await File.WriteAllTextAsync(Path.Combine(_repository, ".gitignore"), Readme.Snippet("gitignore"), TestContext.Current.CancellationToken);
        Assert.Equal(0, (await GitAsync("init", "-q")).ExitCode);

        Assert.Equal(0, (await GitAsync("check-ignore", "-q", "Tests/InstallTests.Usage_IsPrinted.received.txt")).ExitCode);
        Assert.Equal(0, (await GitAsync("check-ignore", "-q", "TestResults/arker-run-1.arker-summary.json")).ExitCode);
        Assert.Equal(0, (await GitAsync("check-ignore", "-q", "tests/Consumer/bin/Release/net10.0/TestResults/x.trx")).ExitCode);
        Assert.Equal(1, (await GitAsync("check-ignore", "-q", "Tests/InstallTests.Usage_IsPrinted.verified.txt")).ExitCode); // 1: not ignored
    }

    [Fact]
    public void The_quick_starts_test_data_is_the_samples_own()
    {
        string sample = Path.Combine(BuildMetadata.Get("RepositoryRoot"), "samples", "Arker.Testing.Samples.Xunit", "testdata", "notes-1.0");

        Assert.Equal(File.ReadAllText(Path.Combine(sample, "install.sh")), Readme.Snippet("testdata/notes-1.0/install.sh"));
        Assert.Equal(File.ReadAllText(Path.Combine(sample, "notes")), Readme.Snippet("testdata/notes-1.0/notes"));
    }

    public void Dispose() => Directory.Delete(_repository, recursive: true);

    private async Task<(int ExitCode, string Output)> GitAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = _repository, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process git = Process.Start(start)!;
        string output = await git.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken) + await git.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await git.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (git.ExitCode, output);
    }
}
