using Arker.Testing.Snapshots;
using DiffEngine;

namespace Arker.Testing.Tests.Snapshots;

public sealed class SnapshotTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("arker-snapshots-").FullName;

    private SnapshotIdentity Identity(string method = "Method") => new(_directory, "SomeTests", method);

    private string VerifiedPath => Path.Combine(_directory, "SomeTests.Method.verified.txt");

    private string ReceivedPath => Path.Combine(_directory, "SomeTests.Method.received.txt");

    [Fact]
    public async Task FirstRun_WritesReceivedAndFails()
    {
        var error = await Assert.ThrowsAsync<SnapshotMismatchException>(() =>
            Snapshot.VerifyAsync("hello\n", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.Review }));

        Assert.Contains("no verified snapshot SomeTests.Method.verified.txt yet", error.Message);
        Assert.Equal(ReceivedPath, error.ReceivedFile);
        Assert.Equal("hello\n", File.ReadAllText(ReceivedPath));
        Assert.False(File.Exists(VerifiedPath));
        Assert.Contains(typeof(SnapshotMismatchException).GetInterfaces(), i => i.Name == "IAssertionException");
    }

    [Fact]
    public async Task AMismatchUnderReview_OpensTheDiffTool_OnTheReceivedAndVerifiedFiles()
    {
        File.WriteAllText(VerifiedPath, "expected\n");
        string calls = Path.Combine(_directory, "diff-tool-calls.txt");
        string tool = Path.Combine(_directory, "record-diff");
        File.WriteAllText(tool, $"#!/bin/sh\necho \"$1|$2\" >> '{calls}'\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // A diff tool that records how it was called; tools added last are tried first.
        DiffTools.AddTool("arker-test-recorder", autoRefresh: false, isMdi: false, supportsText: true, requiresTarget: false, useShellExecute: false,
            new LaunchArguments((temp, target) => $"\"{temp}\" \"{target}\"", (temp, target) => $"\"{temp}\" \"{target}\""), tool, binaryExtensions: []);
        DiffRunner.Disabled = false;
        try
        {
            await Assert.ThrowsAsync<SnapshotMismatchException>(() =>
                Snapshot.VerifyAsync("actual\n", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.Review }));
        }
        finally
        {
            DiffRunner.Disabled = true; // as the rest of this test run has it (DiffToolsOff)
        }

        string called = await WaitForFileAsync(calls);
        Assert.Equal($"{ReceivedPath}|{VerifiedPath}\n", called);
    }

    [Fact]
    public async Task AMatch_Passes_AndRemovesAReceivedFile_ThatHasBecomeTheVerifiedOne()
    {
        File.WriteAllText(VerifiedPath, "same\r\n");
        File.WriteAllText(ReceivedPath, "same\n");

        await Snapshot.VerifyAsync("same", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.Review });

        Assert.False(File.Exists(ReceivedPath));
    }

    [Fact]
    public async Task AMatch_KeepsAReceivedFileThatDiffers_ItIsAChangeStillWaitingForReview()
    {
        File.WriteAllText(VerifiedPath, "old help\n");
        File.WriteAllText(ReceivedPath, "new help\n");

        await Snapshot.VerifyAsync("old help", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.Review });

        Assert.Equal("new help\n", File.ReadAllText(ReceivedPath));
        Assert.Equal("old help\n", File.ReadAllText(VerifiedPath));
    }

    [Fact]
    public async Task Accepting_WhenThisRunMatchesTheVerified_ButAChangeIsPending_FailsAndLosesNothing()
    {
        File.WriteAllText(VerifiedPath, "old help\n");
        File.WriteAllText(ReceivedPath, "new help\n");

        var error = await Assert.ThrowsAsync<SnapshotMismatchException>(() =>
            Snapshot.VerifyAsync("old help", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.Accept }));

        Assert.Contains("this run produced SomeTests.Method.verified.txt as it is, not the pending change", error.Message);
        Assert.Contains($"Kept {ReceivedPath}", error.Message);
        Assert.Equal("new help\n", File.ReadAllText(ReceivedPath));
        Assert.Equal("old help\n", File.ReadAllText(VerifiedPath));
    }

    [Fact]
    public async Task Accepting_AChange_MakesItTheVerifiedOne_AndRemovesItsReceivedFile()
    {
        File.WriteAllText(VerifiedPath, "old help\n");
        File.WriteAllText(ReceivedPath, "new help\n");

        await Snapshot.VerifyAsync("new help", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.Accept });

        Assert.False(File.Exists(ReceivedPath));
        Assert.Equal("new help\n", File.ReadAllText(VerifiedPath));
        Assert.Equal(["SomeTests.Method.verified.txt"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task AMismatch_ShowsAUnifiedDiff()
    {
        File.WriteAllText(VerifiedPath, "line 1\nline 2\nline 3\nline 4\n");

        var error = await Assert.ThrowsAsync<SnapshotMismatchException>(() =>
            Snapshot.VerifyAsync("line 1\nline two\nline 3\nline 4\nline 5\n", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.Review }));

        Assert.Contains("--- SomeTests.Method.verified.txt\n+++ SomeTests.Method.received.txt\n@@ -1,", error.Message);
        Assert.Contains("\n-line 2\n+line two\n line 3\n", error.Message);
        Assert.Contains("\n+line 5\n", error.Message);
        Assert.True(File.Exists(ReceivedPath));
    }

    [Fact]
    public async Task OnCi_NothingIsWritten_AndTheMessageCarriesTheDiff()
    {
        File.WriteAllText(VerifiedPath, "expected\n");

        var error = await Assert.ThrowsAsync<SnapshotMismatchException>(() =>
            Snapshot.VerifyAsync("actual\n", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.FailOnly }));

        Assert.Contains("On CI nothing is written", error.Message);
        Assert.Contains("-expected\n+actual", error.Message);
        Assert.False(File.Exists(ReceivedPath));
        Assert.Equal("expected\n", File.ReadAllText(VerifiedPath));
    }

    [Fact]
    public async Task Accepting_WritesTheVerifiedFile()
    {
        await Snapshot.VerifyAsync("accepted\n", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.Accept });

        Assert.Equal("accepted\n", File.ReadAllText(VerifiedPath));
        await Snapshot.VerifyAsync("accepted\n", Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.FailOnly });
    }

    [Fact]
    public async Task BuiltInScrubbers_NumberEachDistinctValue_AndUserScrubbersRunAfter()
    {
        const string Text = """
            vm 01M80R2PKS8G0NQF5BGEA68CNP_lcl forked from 01KQBYKEV5WJ7YB010603T1DCT_d8c0, then 01M80R2PKS8G0NQF5BGEA68CNP_lcl again
            upload 01M80R2WP5Z2V33HX316B3FNHQ id 3f2504e0-4f89-11d3-9a0c-0305e82c3301
            at 2026-11-22T04:26:24.249Z took 12.5 ms then 3 s in /tmp/arker-abc/x.txt
            secret=hunter2
            """;
        File.WriteAllText(VerifiedPath, """
            vm VmId_1 forked from VmId_2, then VmId_1 again
            upload Ulid_1 id Guid_1
            at DateTime_1 took {Duration} then {Duration} in {TempPath}
            secret=***

            """);

        await Snapshot.VerifyAsync(Text, Identity(), new SnapshotSettings { Behavior = SnapshotBehavior.FailOnly }.ScrubRegex("secret=.*", "secret=***"));
    }

    [Fact]
    public void ADeterministicBuildsSourcePath_IsFoundBelowAFolderAboveTheOutput()
    {
        string found = SnapshotIdentity.SourceDirectory("/_/tests/Arker.Testing.Tests/Snapshots/SnapshotTests.cs");

        Assert.True(File.Exists(Path.Combine(found, "SnapshotTests.cs")), found);
        Assert.Throws<DirectoryNotFoundException>(() => SnapshotIdentity.SourceDirectory("/_/no/such/File.cs"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The file's text once a whole line is in it: the shell creates the file before it writes the line.</summary>
    private static async Task<string> WaitForFileAsync(string path)
    {
        for (int i = 0; i < 100; i++)
        {
            if (File.Exists(path) && await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken) is { Length: > 0 } text && text.EndsWith('\n'))
            {
                return text;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return File.Exists(path) ? await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken) : "(the diff tool was not started)";
    }
}
