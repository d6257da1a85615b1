using System.Text;

namespace Arker.Testing.Client;

/// <summary>
/// What a command did. A non-zero exit code is a result, not an error; a command that timed out
/// has exit code -1 and the output written before it was killed.
/// </summary>
public sealed class RunResult
{
    /// <summary>A result as the service reported it.</summary>
    public RunResult(string command, byte[] stdout, byte[] stderr, int exitCode, TimeSpan duration, string sessionId, string cwd)
    {
        Command = command;
        Stdout = stdout;
        Stderr = stderr;
        ExitCode = exitCode;
        Duration = duration;
        SessionId = sessionId;
        Cwd = cwd;
    }

    /// <summary>The command as it was sent.</summary>
    public string Command { get; }

    /// <summary>Standard output, byte for byte.</summary>
    public byte[] Stdout { get; }

    /// <summary>Standard error, byte for byte.</summary>
    public byte[] Stderr { get; }

    /// <summary>Standard output as UTF-8 text.</summary>
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    /// <summary>Standard error as UTF-8 text.</summary>
    public string StderrText => Encoding.UTF8.GetString(Stderr);

    /// <summary>The exit code; -1 when the command timed out.</summary>
    public int ExitCode { get; }

    /// <summary>How long the command ran, as the service measured it.</summary>
    public TimeSpan Duration { get; }

    /// <summary>The session the command ran in.</summary>
    public string SessionId { get; }

    /// <summary>The session's working directory after the command.</summary>
    public string Cwd { get; }

    /// <summary>The command, its exit code and how long it ran.</summary>
    public override string ToString() => $"`{Command}` exited {ExitCode} in {Duration.TotalMilliseconds:0.#} ms";
}
