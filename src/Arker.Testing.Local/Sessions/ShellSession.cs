using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

using Arker.Testing.Local.Isolation;
using Arker.Testing.Shared;

namespace Arker.Testing.Local.Sessions;

/// <summary>
/// A long-lived bash inside a VM's sandbox. Each command is sent as one escaped line with a fresh
/// random token; the shell evaluates it (stdin from <c>/dev/null</c>) and prints the token with the
/// exit code and working directory on stdout, and the token alone on stderr. Killing the session
/// kills bubblewrap, which tears down the session's PID namespace and every process in it.
/// </summary>
internal sealed class ShellSession
{
    private const string Driver = """
        trap 'builtin printf "\036%s x%s %s\n" "$__arker_token" "$?" "$PWD"; builtin printf "\036%s\n" "$__arker_token" >&2' EXIT
        while IFS= builtin read -r __arker_line; do
          __arker_token=${__arker_line%% *}
          builtin printf -v __arker_command '%b' "${__arker_line#* }"
          builtin eval "$__arker_command" </dev/null
          __arker_status=$?
          builtin printf '\036%s %s %s\n' "$__arker_token" "$__arker_status" "$PWD"
          builtin printf '\036%s\n' "$__arker_token" >&2
        done
        """;

    private readonly Process _process;
    private readonly Stream _input;
    private readonly OutputChannel _stdout;
    private readonly OutputChannel _stderr;
    private readonly Lazy<Task<int>> _ended;
    private int _killed;
    private int _namespaceInit;

    private ShellSession(Process process, int outputCap)
    {
        _process = process;
        _ended = new Lazy<Task<int>>(WaitUntilEndedAsync);
        _input = process.StandardInput.BaseStream;
        _stdout = new OutputChannel(process.StandardOutput.BaseStream, outputCap);
        _stderr = new OutputChannel(process.StandardError.BaseStream, outputCap);
    }

    /// <summary>The shell's working directory after its last command.</summary>
    public string Cwd { get; private set; } = "/home/user";

    public bool HasExited => Volatile.Read(ref _killed) != 0 || _process.HasExited;

    /// <summary>The init of the session's PID namespace (bubblewrap's first child), or 0 if unknown.</summary>
    public int NamespaceInit => _namespaceInit;

    public static async Task<ShellSession> StartAsync(SandboxLauncher launcher, string mergedRoot, IReadOnlyList<string> hostReadOnly, IReadOnlyList<string> cgroupProcs, int outputCap, string cwd, string? exports, string? network, bool rootInside = false)
    {
        var info = launcher.CreateStartInfo(mergedRoot, hostReadOnly, cgroupProcs, ["/bin/bash", "--noprofile", "--norc", "-c", Driver], network, rootInside);
        Process process = await ChildProcesses.StartAsync(info, makesItsOwnSession: true); // sandbox-start.pl or vm-init.pl
        var session = new ShellSession(process, outputCap);
        string restore = $"builtin cd -- {ShellQuoting.Quote(cwd)} 2>/dev/null; {exports}";
        ShellResult result = await session.RunAsync(restore, Timeout.InfiniteTimeSpan);
        if (result.ShellUsable)
        {
            session._namespaceInit = FirstChild(process.Id);
            return session;
        }

        session.Kill();
        string stderr = Encoding.UTF8.GetString(result.Stderr).Trim();
        throw new SandboxUnavailableException($"The VM's sandbox did not start (exit code {result.ExitCode}): {stderr}");
    }

    /// <summary>Runs one command; on timeout the session is killed and the result has exit code -1.</summary>
    public async Task<ShellResult> RunAsync(string command, TimeSpan timeout)
    {
        string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        byte[] line = EncodeLine(token, command);
        var started = Stopwatch.GetTimestamp();
        int timedOut = 0;
        using var timer = timeout == Timeout.InfiniteTimeSpan ? null : new Timer(_ =>
        {
            Volatile.Write(ref timedOut, 1);
            Kill();
        }, null, timeout, Timeout.InfiniteTimeSpan);

        try
        {
            await _input.WriteAsync(line);
            await _input.FlushAsync();
        }
        catch (IOException)
        {
            // The shell is gone; the reads below see end of stream and report it.
        }

        Task<ChannelRead> stdoutTask = _stdout.ReadUntilAsync(Encoding.ASCII.GetBytes($"\u001e{token} "), untilLineEnd: true);
        Task<ChannelRead> stderrTask = _stderr.ReadUntilAsync(Encoding.ASCII.GetBytes($"\u001e{token}\n"), untilLineEnd: false);
        ChannelRead stdout = await stdoutTask;
        ChannelRead stderr = await WithinAsync(stderrTask, TimeSpan.FromSeconds(stdout.Found ? 5 : 1));
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        if (stdout.Found && !stderr.Found)
        {
            // The command closed or redirected the shell's stderr for good: this shell cannot be trusted
            // to frame the next command, so it is retired; the next run starts a fresh one at the same cwd.
            Kill();
        }

        if (stdout.Found && stdout.Trailer is { } trailer)
        {
            // "<status> <cwd>", or "x<status> <cwd>" from the EXIT trap when the command ended the shell.
            string text = Encoding.UTF8.GetString(trailer);
            int space = text.IndexOf(' ', StringComparison.Ordinal);
            string status = space < 0 ? text : text[..space];
            bool shellExited = status.StartsWith('x');
            int exitCode = int.Parse(shellExited ? status[1..] : status, CultureInfo.InvariantCulture);
            if (space >= 0)
            {
                Cwd = text[(space + 1)..];
            }

            return new ShellResult(stdout.Output, stderr.Output, exitCode, elapsed, TimedOut: false, ShellUsable: !shellExited, stdout.DroppedBytes, stderr.DroppedBytes);
        }

        // The shell ended before finishing the command: killed on timeout, or the command ran `exit`.
        int shellExitCode = await KillAndWaitAsync();
        bool wasTimeout = Volatile.Read(ref timedOut) != 0;
        int code = wasTimeout ? -1 : shellExitCode;
        return new ShellResult(stdout.Output, stderr.Output, code, elapsed, wasTimeout, ShellUsable: false, stdout.DroppedBytes, stderr.DroppedBytes);
    }

    /// <summary>The session's exported environment as a script that recreates it.</summary>
    public async Task<string?> CaptureExportsAsync()
    {
        ShellResult result = await RunAsync("export -p", TimeSpan.FromSeconds(10));
        return result.ShellUsable ? Encoding.UTF8.GetString(result.Stdout) : null;
    }

    public void Kill()
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0)
        {
            return;
        }

        try
        {
            ChildProcesses.Kill(_process);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>
    /// Kills the session and waits until every process in it is gone; returns bubblewrap's exit code.
    /// Every caller (a run that saw the shell end, a delete, a fork) awaits the same wait.
    /// </summary>
    public Task<int> KillAndWaitAsync()
    {
        Kill();
        return _ended.Value;
    }

    /// <summary>
    /// Waits for bubblewrap, then for the init of the session's PID namespace, whose exit the
    /// kernel holds back until the rest are dead; the process handle is released once, here.
    /// </summary>
    private async Task<int> WaitUntilEndedAsync()
    {
        await _process.WaitForExitAsync();
        int exitCode = _process.ExitCode;
        _process.Dispose();
        for (int i = 0; i < 2000 && _namespaceInit > 0 && IsRunning(_namespaceInit); i++)
        {
            await Task.Delay(1);
        }

        return exitCode;
    }

    /// <summary>The first child of a process (bubblewrap's init of the sandbox), or 0.</summary>
    private static int FirstChild(int pid)
    {
        try
        {
            string children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Trim();
            return children.Length == 0 ? 0 : int.Parse(children.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Whether a process exists and has not finished dying (a zombie has).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The token, a space, and the command with every byte but [A-Za-z0-9 ./_-] as <c>\xHH</c>.</summary>
    private static byte[] EncodeLine(string token, string command)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(command);
        var line = new StringBuilder(token.Length + 2 + (bytes.Length * 2));
        line.Append(token).Append(' ');
        foreach (byte b in bytes)
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)' ' or (byte)'.' or (byte)'/' or (byte)'_' or (byte)'-')
            {
                line.Append((char)b);
            }
            else
            {
                line.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }
        }

        line.Append('\n');
        return Encoding.ASCII.GetBytes(line.ToString());
    }

    private static async Task<ChannelRead> WithinAsync(Task<ChannelRead> read, TimeSpan limit)
    {
        Task finished = await Task.WhenAny(read, Task.Delay(limit));
        return finished == read ? await read : new ChannelRead([], 0, Found: false, Trailer: null);
    }
}

/// <summary>The outcome of one command in a session; <c>ShellUsable</c> says the shell finished it and can take another.</summary>
internal readonly record struct ShellResult(
    byte[] Stdout, byte[] Stderr, int ExitCode, TimeSpan Duration, bool TimedOut, bool ShellUsable, long StdoutDropped, long StderrDropped);
