using System.Diagnostics;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Hosting;

/// <summary><c>arker-local snapshots</c>: the snapshots test runs left for review, listed, reviewed, accepted and rejected.</summary>
public sealed class SnapshotsCommandTests : IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("arker-snapshots-").FullName;

    public SnapshotsCommandTests()
    {
        Write("Tests/InstallTests.Usage.verified.txt", "usage: notes\n");
        Write("Tests/InstallTests.Usage.received.txt", "usage: notes [--version]\n");
        Write("Tests/InstallTests.Changes.received.txt", "+ .local/bin/notes\n");
        Write("Tests/bin/Release/net10.0/InstallTests.Usage.received.txt", "a build copy\n");
    }

    [Fact]
    public async Task List_shows_each_pending_snapshot_and_whether_it_is_new_skipping_build_output()
    {
        (int exitCode, string output) = await RunAsync(["snapshots"]);

        Assert.Equal(0, exitCode);
        Assert.Equal(
            "2 pending snapshot(s):\n  Tests/InstallTests.Changes.received.txt  (new)\n  Tests/InstallTests.Usage.received.txt  (differs from InstallTests.Usage.verified.txt)\n",
            output);
    }

    [Fact]
    public async Task Review_shows_the_difference_and_does_what_each_answer_says()
    {
        (int exitCode, string output) = await RunAsync(["snapshots", "review"], answers: "r\nmaybe\na\n");

        Assert.Equal(0, exitCode);
        Assert.Contains("== Tests/InstallTests.Changes.received.txt (new)\n+ .local/bin/notes\n", output, StringComparison.Ordinal);
        Assert.Contains("--- verified\n+++ received\n@@ -1 +1 @@\n-usage: notes\n+usage: notes [--version]\n", output, StringComparison.Ordinal);
        Assert.EndsWith("Accepted 1, rejected 1, 0 still pending.\n", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_project, "Tests/InstallTests.Changes.received.txt")));
        Assert.False(File.Exists(Path.Combine(_project, "Tests/InstallTests.Changes.verified.txt")));
        Assert.Equal("usage: notes [--version]\n", File.ReadAllText(Path.Combine(_project, "Tests/InstallTests.Usage.verified.txt")));
    }

    [Fact]
    public async Task Accept_and_reject_take_all_or_those_named_and_a_name_that_matches_nothing_changes_nothing()
    {
        (int unknownExit, string unknown) = await RunAsync(["snapshots", "accept", "Usage", "Nothing"]);
        (int acceptExit, string accepted) = await RunAsync(["snapshots", "accept", "Usage"]);
        (int rejectExit, string rejected) = await RunAsync(["snapshots", "reject"]);

        Assert.Equal((1, 0, 0), (unknownExit, acceptExit, rejectExit));
        Assert.Contains("No pending snapshot in", unknown, StringComparison.Ordinal);
        Assert.Contains("matches 'Nothing': nothing was changed", unknown, StringComparison.Ordinal);
        Assert.Equal("Accepted Tests/InstallTests.Usage.received.txt\nAccepted 1 snapshot(s).\n", accepted);
        Assert.Equal("Rejected Tests/InstallTests.Changes.received.txt\nRejected 1 snapshot(s).\n", rejected);
        Assert.Equal(["InstallTests.Usage.verified.txt", "bin"], Directory.EnumerateFileSystemEntries(Path.Combine(_project, "Tests")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_folder_that_does_not_exist_is_refused_by_name()
    {
        (int exitCode, string output) = await RunAsync(["snapshots", "list", "--path", "/nonexistent/project"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("--path must be an existing folder (got '/nonexistent/project')", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private void Write(string path, string text)
    {
        string full = Path.Combine(_project, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string[] args, string answers = "")
    {
        (int exitCode, string output) = await ProgramRun.ToEndAsync(new ProcessStartInfo("dotnet", [ServerProcess.ServerDll, .. args]) { WorkingDirectory = _project }, answers);
        return (exitCode, output.Replace("[a]ccept, [r]eject, [s]kip, [q]uit? \n", "", StringComparison.Ordinal));
    }
}
