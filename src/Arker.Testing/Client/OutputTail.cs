namespace Arker.Testing.Client;

/// <summary>The end of a command's or a service's output, as messages and transcripts show it: its last lines, and how much came before.</summary>
internal readonly record struct OutputTail(string Text, int OmittedLines, int OmittedCharacters)
{
    /// <summary>The last <paramref name="lines"/> lines of <paramref name="output"/> (no trailing newline), at most its last <paramref name="characters"/> characters.</summary>
    public static OutputTail Of(string output, int lines, int characters = int.MaxValue)
    {
        string trimmed = output.TrimEnd('\n');
        string[] all = trimmed.Split('\n');
        string tail = string.Join('\n', all.TakeLast(lines));
        if (tail.Length > characters)
        {
            tail = tail[^characters..];
        }

        return new OutputTail(tail, Math.Max(0, all.Length - lines), trimmed.Length - tail.Length);
    }
}
