using System.Text;
using Arker.Testing.Client;
using Arker.Testing.Fixtures;
using Microsoft.Extensions.Time.Testing;

namespace Arker.Testing.Unit.Tests.Core;

public sealed class TranscriptTextTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void Each_command_shows_its_time_session_duration_exit_code_and_output()
    {
        VmEvidence evidence = Evidence();
        evidence.Add(Ran("make install", exitCode: 0, stdout: "built\ninstalled\n", after: 0.25, session: "0"));
        evidence.Add(Ran("notes list", exitCode: 2, stderr: "usage: notes\n", after: 1.5, session: "build"));

        string text = TranscriptText.Format("vm-1", "InstallTests.Install", evidence, []);

        Assert.Equal(
            """
            Transcript of VM vm-1, the VM of test InstallTests.Install: 2 commands.

            [+0.250 s] session 0, 40 ms, exit code 0
            $ make install
            --- stdout ---
            built
            installed

            [+1.500 s] session build, 40 ms, exit code 2
            $ notes list
            --- stderr ---
            usage: notes

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void A_command_that_did_not_complete_shows_why_and_a_timeout_says_so()
    {
        VmEvidence evidence = Evidence();
        evidence.Add(CommandRecord.Failed("sleep 100", "0", TimeSpan.Zero, TimeSpan.FromSeconds(5), new TaskCanceledException("The test was cancelled.")));
        evidence.Add(Ran("sleep 100", exitCode: -1, after: 5));

        string text = TranscriptText.Format("vm-1", "T", evidence, ["/var/log/app.log: not attached (not_found: no such file)"]);

        Assert.Contains("session 0, 5000 ms, failed: TaskCanceledException: The test was cancelled.\n$ sleep 100\n", text, StringComparison.Ordinal);
        Assert.Contains("40 ms, timed out (exit code -1)\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\nFiles:\n  /var/log/app.log: not attached (not_found: no such file)\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_output_keeps_its_last_lines_and_says_how_much_was_left_out()
    {
        string output = string.Concat(Enumerable.Range(1, 100).Select(n => $"line {n}\n"));

        (string tail, string? omitted) = TranscriptText.Tail(output);

        Assert.Equal(string.Join('\n', Enumerable.Range(81, 20).Select(n => $"line {n}")), tail);
        Assert.Equal($"{output.TrimEnd('\n').Length - tail.Length} earlier characters left out", omitted);
        Assert.Null(TranscriptText.Tail("short\n").Omitted);
        Assert.Equal(TranscriptText.TailCharacters, TranscriptText.Tail(new string('x', 10_000)).Tail.Length);
    }

    [Fact]
    public void Only_the_last_commands_are_kept_and_the_transcript_counts_the_rest()
    {
        VmEvidence evidence = Evidence();
        for (int i = 0; i < VmEvidence.MaxCommands + 5; i++)
        {
            evidence.Add(Ran($"echo {i}", exitCode: 0));
        }

        string text = TranscriptText.Format("vm-1", "T", evidence, []);

        Assert.Equal(VmEvidence.MaxCommands, evidence.Commands.Count);
        Assert.StartsWith($"Transcript of VM vm-1, the VM of test T: {VmEvidence.MaxCommands + 5} commands (the first 5 left out).\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("$ echo 4\n", text, StringComparison.Ordinal);
        Assert.Contains("$ echo 5\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_are_named_after_their_VM_path_and_asked_for_once()
    {
        VmEvidence evidence = new(["/var/log/app.log"], _clock);
        evidence.AddFile("/var/log/app.log");
        evidence.AddFile("/home/user/notes.log");

        Assert.Equal(["/var/log/app.log", "/home/user/notes.log"], evidence.Files);
        Assert.Equal("var_log_app.log", TestEvidence.LocalFileName("/var/log/app.log"));
    }

    private VmEvidence Evidence() => new([], _clock);

    private static CommandRecord Ran(string command, int exitCode, string stdout = "", string stderr = "", double after = 0, string session = "0") =>
        CommandRecord.Completed(
            new RunResult(command, Encoding.UTF8.GetBytes(stdout), Encoding.UTF8.GetBytes(stderr), exitCode, TimeSpan.FromMilliseconds(40), session, "/home/user"), TimeSpan.FromSeconds(after));
}
