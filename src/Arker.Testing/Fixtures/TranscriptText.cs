using System.Globalization;
using System.Text;
using Arker.Testing.Client;

namespace Arker.Testing.Fixtures;

/// <summary>
/// A test VM's transcript as a person reads it next to a failed test: every command in order, with
/// its session, exit code, duration and the last lines of its output, then the files asked for.
/// </summary>
internal static class TranscriptText
{
    /// <summary>Lines of each stream shown per command, and at most this many characters of them (kept so, by <see cref="CommandRecord"/>).</summary>
    internal const int TailLines = CommandRecord.TailLines;

    internal const int TailCharacters = CommandRecord.TailCharacters;

    public static string Format(string vmId, string testName, VmEvidence evidence, IEnumerable<string> fileNotes)
    {
        var text = new StringBuilder();
        CommandRecord[] commands = [.. evidence.Commands];
        text.Append(CultureInfo.InvariantCulture, $"Transcript of VM {vmId}, the VM of test {testName}: {Wording.Count(commands.Length + evidence.Dropped, "command")}");
        text.Append(evidence.Dropped > 0 ? $" (the first {evidence.Dropped} left out)" : "").Append(".\n");
        foreach (CommandRecord command in commands)
        {
            text.Append('\n');
            AppendCommand(text, command);
        }

        string[] notes = [.. fileNotes];
        if (notes.Length > 0)
        {
            text.Append("\nFiles:\n");
            foreach (string note in notes)
            {
                text.Append("  ").Append(note).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>The last <see cref="TailLines"/> lines (at most <see cref="TailCharacters"/> characters) of <paramref name="output"/>, and what was left out.</summary>
    internal static (string Tail, string? Omitted) Tail(string output) => Shown(OutputTail.Of(output, TailLines, TailCharacters));

    private static (string Tail, string? Omitted) Shown(OutputTail tail) =>
        (tail.Text, tail.OmittedCharacters > 0 ? $"{Wording.Count(tail.OmittedCharacters, "earlier character")} left out" : null);

    private static void AppendCommand(StringBuilder text, CommandRecord command)
    {
        string outcome = command.ExitCode is { } exitCode
            ? (exitCode == -1 ? "timed out (exit code -1)" : $"exit code {exitCode}")
            : $"failed: {command.Error}";
        text.Append(CultureInfo.InvariantCulture, $"[+{command.StartedAfter.TotalSeconds:0.000} s] session {command.Session}, {command.Duration.TotalMilliseconds:0} ms, {outcome}\n");
        text.Append("$ ").Append(command.Command.Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
        AppendStream(text, "stdout", command.Stdout);
        AppendStream(text, "stderr", command.Stderr);
    }

    private static void AppendStream(StringBuilder text, string name, OutputTail output)
    {
        if (output.Text is null or { Length: 0 })
        {
            return;
        }

        (string tail, string? omitted) = Shown(output);
        text.Append("--- ").Append(name).Append(omitted is null ? "" : $" (last lines; {omitted})").Append(" ---\n");
        text.Append(tail).Append('\n');
    }

}
