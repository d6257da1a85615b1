using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Arker.Testing.Client;

namespace Arker.Testing.Assertions;

/// <summary>
/// Fluent checks on what a command did. Each returns the result, so checks chain; a failed check
/// throws <see cref="CommandAssertionException"/> whose message shows the command, its exit code,
/// its duration and both streams (long output trimmed in the middle).
/// </summary>
public static class RunResultAssertions
{
    private const int KeepChars = 2000;

    /// <summary>Exit code 0.</summary>
    public static RunResult ShouldSucceed(this RunResult result) =>
        Check(result, result.ExitCode == 0, "to succeed (exit code 0)");

    /// <summary>Any exit code but 0 (a timeout, -1, counts as failing).</summary>
    public static RunResult ShouldFail(this RunResult result) =>
        Check(result, result.ExitCode != 0, "to fail (a non-zero exit code)");

    /// <summary>Exactly this exit code.</summary>
    public static RunResult ShouldExitWith(this RunResult result, int exitCode) =>
        Check(result, result.ExitCode == exitCode, $"to exit with {exitCode}");

    /// <summary>Standard output contains <paramref name="text"/>.</summary>
    public static RunResult StdoutShouldContain(this RunResult result, string text) =>
        Check(result, result.StdoutText.Contains(text, StringComparison.Ordinal), $"to print on stdout: {Quote(text)}");

    /// <summary>Standard output does not contain <paramref name="text"/>.</summary>
    public static RunResult StdoutShouldNotContain(this RunResult result, string text) =>
        Check(result, !result.StdoutText.Contains(text, StringComparison.Ordinal), $"not to print on stdout: {Quote(text)}");

    /// <summary>Standard output is exactly <paramref name="text"/> (a final newline is ignored on both sides).</summary>
    public static RunResult StdoutShouldBe(this RunResult result, string text) =>
        Check(result, TrimFinalNewline(result.StdoutText) == TrimFinalNewline(text), $"to print exactly on stdout: {Quote(text)}");

    /// <summary>Standard output matches the regular expression <paramref name="pattern"/>.</summary>
    public static RunResult StdoutShouldMatch(this RunResult result, [StringSyntax(StringSyntaxAttribute.Regex)] string pattern) =>
        Check(result, Regex.IsMatch(result.StdoutText, pattern, RegexOptions.Multiline, TimeSpan.FromSeconds(5)), $"to print on stdout something matching /{pattern}/");

    /// <summary>Standard error contains <paramref name="text"/>.</summary>
    public static RunResult StderrShouldContain(this RunResult result, string text) =>
        Check(result, result.StderrText.Contains(text, StringComparison.Ordinal), $"to print on stderr: {Quote(text)}");

    /// <summary>Standard error is empty.</summary>
    public static RunResult StderrShouldBeEmpty(this RunResult result) =>
        Check(result, result.Stderr.Length == 0, "to print nothing on stderr");

    /// <summary>Standard error matches the regular expression <paramref name="pattern"/>.</summary>
    public static RunResult StderrShouldMatch(this RunResult result, [StringSyntax(StringSyntaxAttribute.Regex)] string pattern) =>
        Check(result, Regex.IsMatch(result.StderrText, pattern, RegexOptions.Multiline, TimeSpan.FromSeconds(5)), $"to print on stderr something matching /{pattern}/");

    /// <summary>Standard output parses as JSON; returns the parsed document's root.</summary>
    public static JsonElement StdoutShouldBeJson(this RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        try
        {
            using JsonDocument document = JsonDocument.Parse(result.Stdout);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw AssertionFailures.Create(Describe(result, $"to print JSON on stdout, but it does not parse: {ex.Message}"), m => new CommandAssertionException(m, ex));
        }
    }

    /// <summary>Everything the command did, as a failure message shows it.</summary>
    internal static string Describe(RunResult result, string expectation)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        text.Append("Expected `").Append(result.Command).Append("` ").Append(expectation).AppendLine(".");
        text.Append(result.ExitCode == -1 ? "It timed out (exit code -1)" : $"It exited with {result.ExitCode}")
            .Append(System.FormattableString.Invariant($" after {result.Duration.TotalMilliseconds:0.#} ms"))
            .Append(" in session ").Append(result.SessionId).Append(result.Cwd.Length > 0 ? ", cwd " + result.Cwd : "").AppendLine(".");
        AppendStream(text, "stdout", result.Stdout, result.StdoutText);
        AppendStream(text, "stderr", result.Stderr, result.StderrText);
        return text.ToString();
    }

    private static RunResult Check(RunResult result, bool passed, string expectation)
    {
        ArgumentNullException.ThrowIfNull(result);
        return passed ? result : throw AssertionFailures.Create(Describe(result, expectation), m => new CommandAssertionException(m));
    }

    private static void AppendStream(StringBuilder text, string name, byte[] bytes, string decoded)
    {
        text.Append("--- ").Append(name).Append(" (").Append(bytes.Length).AppendLine(" bytes) ---");
        if (bytes.Length == 0)
        {
            text.AppendLine("(empty)");
            return;
        }

        if (decoded.Length > 2 * KeepChars)
        {
            text.Append(decoded.AsSpan(0, KeepChars))
                .Append("\n… [").Append(decoded.Length - (2 * KeepChars)).Append(" characters omitted] …\n")
                .Append(decoded.AsSpan(decoded.Length - KeepChars));
        }
        else
        {
            text.Append(decoded);
        }

        if (!decoded.EndsWith('\n'))
        {
            text.AppendLine();
        }
    }

    private static string Quote(string text) => "\"" + text.Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static string TrimFinalNewline(string text) => text.EndsWith('\n') ? text[..^1] : text;
}
