using System.Globalization;
using System.Text.RegularExpressions;
using Arker.Testing.Shared;

namespace Arker.Testing.Client;

/// <summary>
/// A program running in the background of a VM, as a user starts a service: started with
/// <see cref="Computer.StartServiceAsync"/>, waited for until it is ready (a port takes
/// connections, an HTTP path answers, a file or a line of output appears), its output read, and
/// stopped. Every wait has a timeout, and a wait that fails says what never happened, with the
/// service's output; a service that exits while waited for fails the wait at once, with its exit
/// code. Its output is kept in the VM (<see cref="OutputPath"/>) and, for a test's own VM,
/// attached to the test's result if the test fails.
/// </summary>
public sealed partial class VmService
{
    internal const string Folder = "/tmp/arker-services";

    // Waits and reads run in a session of their own, so a long wait never holds up the test's
    // commands; a stop runs in the session that started the service, whose processes it sees (a
    // session may have a process namespace of its own). Each runs in a subshell: its `exit` ends
    // that, never a session's shell.
    private const string WaitSession = "arker-services";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly SessionId _session;

    // The start time of the group's leader (field 22 of /proc/PID/stat; "ended" for a service that
    // was over before it was read): with it, a stop never signals a group whose id the VM has given
    // to another process since.
    private readonly string _leaderStartTime;

    internal VmService(Computer vm, string name, string command, int processId, string leaderStartTime, SessionId session)
    {
        _session = session;
        _leaderStartTime = leaderStartTime;
        Vm = vm;
        Name = name;
        Command = command;
        ProcessId = processId;
    }

    /// <summary>The VM the service runs in.</summary>
    public Computer Vm { get; }

    /// <summary>The service's name in its VM (it names its output file).</summary>
    public string Name { get; }

    /// <summary>The command that runs it.</summary>
    public string Command { get; }

    /// <summary>The id, in the VM, of the process group the service runs in.</summary>
    public int ProcessId { get; }

    /// <summary>The VM file that holds the service's standard output and error.</summary>
    public string OutputPath => $"{Folder}/{Name}.log";

    private string ExitPath => $"{Folder}/{Name}.exit";

    /// <summary>Waits until something in the VM accepts TCP connections on its 127.0.0.1:<paramref name="port"/>.</summary>
    /// <exception cref="TimeoutException">Nothing did within <paramref name="timeout"/> (default 30 s), or the service exited first.</exception>
    public Task WaitForPortAsync(int port, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        string p = port.ToString(CultureInfo.InvariantCulture);
        return WaitUntilAsync($"exec 3<>/dev/tcp/127.0.0.1/{p}", $"nothing accepted connections on port {p} in the VM", timeout, cancellationToken);
    }

    /// <summary>
    /// Waits until an HTTP GET of <paramref name="path"/> on the VM's 127.0.0.1:<paramref name="port"/>
    /// answers with a 2xx or 3xx status.
    /// </summary>
    /// <exception cref="TimeoutException">It did not within <paramref name="timeout"/> (default 30 s), or the service exited first.</exception>
    public Task WaitForHttpAsync(int port, string path = "/", TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!path.StartsWith('/') || path.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"The HTTP path must start with '/' and hold no spaces (got '{path}').", nameof(path));
        }

        string p = port.ToString(CultureInfo.InvariantCulture);
        // Bash's /dev/tcp: no curl or wget needed in the VM. The status line is read with a limit, so a server that accepts and never answers is tried again.
        string check = $"exec 3<>/dev/tcp/127.0.0.1/{p} && printf 'GET %s HTTP/1.0\\r\\nHost: 127.0.0.1:{p}\\r\\nConnection: close\\r\\n\\r\\n' {ShellQuoting.Quote(path)} >&3 && IFS= read -r -t 2 status <&3 && [[ $status =~ ^HTTP/[0-9.]+\\ [23][0-9][0-9] ]]";
        return WaitUntilAsync(check, $"GET {path} on port {p} in the VM never answered with a 2xx or 3xx status", timeout, cancellationToken);
    }

    /// <summary>Waits until the VM file <paramref name="path"/> exists.</summary>
    /// <exception cref="TimeoutException">It did not within <paramref name="timeout"/> (default 30 s), or the service exited first.</exception>
    public Task WaitForFileAsync(string path, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return WaitUntilAsync($"[ -e {ShellQuoting.Quote(path)} ]", $"{path} never appeared", timeout, cancellationToken);
    }

    /// <summary>Waits until the service's output (standard output or error) holds <paramref name="text"/>.</summary>
    /// <exception cref="TimeoutException">It did not within <paramref name="timeout"/> (default 30 s), or the service exited first.</exception>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (text.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("WaitForOutputAsync looks for text within one line of output.", nameof(text));
        }

        return WaitUntilAsync($"grep -qF -- {ShellQuoting.Quote(text)} {OutputPath}", $"its output never showed \"{text}\"", timeout, cancellationToken);
    }

    /// <summary>The service's output so far (standard output and error, as written).</summary>
    public async Task<string> ReadOutputAsync(CancellationToken cancellationToken = default) =>
        (await Vm.RunAsync($"cat {OutputPath}", new RunOptions { SessionId = WaitSession }, cancellationToken)).StdoutText;

    /// <summary>
    /// Stops the service: SIGTERM to its process group, then, if anything of it is still running
    /// after <paramref name="grace"/> (default 5 s), SIGKILL. Returns its exit code when it had
    /// exited by itself before, else null.
    /// </summary>
    public async Task<int?> StopAsync(TimeSpan? grace = null, CancellationToken cancellationToken = default)
    {
        TimeSpan patience = grace ?? TimeSpan.FromSeconds(5);
        ArgumentOutOfRangeException.ThrowIfLessThan(patience, TimeSpan.Zero, nameof(grace));
        string group = "-" + ProcessId.ToString(CultureInfo.InvariantCulture);
        int tries = (int)Math.Ceiling(patience.TotalMilliseconds / 50);
        RunResult stopped = await Vm.RunAsync(
            $"( cat {ExitPath} 2>/dev/null && exit 0; ours() {{ {StillRuns(ProcessId.ToString(CultureInfo.InvariantCulture), _leaderStartTime)}; }}; ours || exit 0; kill -TERM -- {group} 2>/dev/null; " +
            $"for _ in $(seq {tries}); do ours || exit 0; sleep 0.05; done; kill -KILL -- {group} 2>/dev/null; exit 0 )",
            new RunOptions { SessionId = _session, Timeout = patience + TimeSpan.FromSeconds(30) },
            cancellationToken);
        return int.TryParse(stopped.StdoutText.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int exitCode) ? exitCode : null;
    }

    /// <summary>The service's name and command.</summary>
    public override string ToString() => $"{Name} ({Command})";

    /// <summary>Starts <paramref name="command"/> in the background of <paramref name="vm"/>'s default session (its working directory and environment).</summary>
    internal static async Task<VmService> StartAsync(Computer vm, string command, string? name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        string serviceName = name ?? DefaultName(command);
        if (!ServiceName().IsMatch(serviceName))
        {
            throw new ArgumentException($"A service name is 1 to 64 letters, digits, '.', '_' or '-' (got '{serviceName}').", nameof(name));
        }

        string files = $"{Folder}/{serviceName}";
        // A job of its own process group (set -m), so stopping it stops what it started too; its
        // exit code is written when it ends by itself (the command has a subshell of its own, so
        // its `exit` ends only that). The outer subshell keeps set -m out of the session. A name
        // whose service still runs is refused; one that stopped or exited may start again.
        RunResult started = await vm.RunAsync(
            $"( mkdir -p {Folder} && if [ -e {files}.pid ] && read -r p t < {files}.pid && {StillRuns("$p", "$t")}; then exit 17; fi; rm -f {files}.exit; " +
            $"set -m; ( ( {command}\n ); echo $? > {files}.exit ) > {files}.log 2>&1 < /dev/null & p=$!; echo \"$p $(cut -d' ' -f22 /proc/$p/stat 2>/dev/null || echo ended)\" | tee {files}.pid )",
            cancellationToken);
        if (started.ExitCode == 17)
        {
            throw new InvalidOperationException(
                $"A service named '{serviceName}' still runs in VM {vm.Id}: stop it first, or give this one another name (StartServiceAsync(command, name: \"...\")).");
        }

        string[] leader = started.StdoutText.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (started.ExitCode != 0 || leader.Length != 2 || !int.TryParse(leader[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int processId))
        {
            throw new InvalidOperationException($"The service '{serviceName}' ({command}) could not be started in VM {vm.Id}: exit code {started.ExitCode}, {started.StderrText.Trim()}");
        }

        var service = new VmService(vm, serviceName, command, processId, leader[1], SessionId.Default);
        vm.Evidence?.AddFile(service.OutputPath); // attached with the transcript should the test fail
        return service;
    }

    /// <summary>
    /// The program the command starts, as a name: of its last step (<c>cd site &amp;&amp; python3 -m
    /// http.server</c> is <c>python3</c>), past <c>exec</c>; <c>service</c> when there is none.
    /// </summary>
    internal static string DefaultName(string command)
    {
        string lastStep = command.Split(["&&", "||", ";", "\n", "|", "&"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        string program = lastStep.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(word => word != "exec" && !word.Contains('=', StringComparison.Ordinal)) ?? "";
        string name = InvalidNameCharacters().Replace(Path.GetFileName(program), "_");
        return name.Length == 0 ? "service" : name.Length > 64 ? name[..64] : name;
    }

    private async Task WaitUntilAsync(string check, string whatNeverHappened, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        TimeSpan patience = timeout ?? DefaultTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(patience, TimeSpan.Zero, nameof(timeout));
        int seconds = (int)Math.Ceiling(patience.TotalSeconds);
        RunResult waited = await Vm.RunAsync(
            PollCommand(check, seconds, ExitPath),
            new RunOptions { SessionId = WaitSession, Timeout = patience + TimeSpan.FromSeconds(30) },
            cancellationToken);
        if (waited.ExitCode == 0)
        {
            return;
        }

        OutputTail tail = OutputTail.Of(await ReadOutputAsync(cancellationToken), lines: 40);
        string output = tail.OmittedLines == 0 ? tail.Text : $"(last 40 of {tail.OmittedLines + 40} lines)\n" + tail.Text;
        string what = waited.ExitCode == 3
            ? $"The service {this} in VM {Vm.Id} exited with code {waited.StdoutText.Trim()} before it was ready ({whatNeverHappened})."
            : $"The service {this} in VM {Vm.Id} was not ready within {seconds} s: {whatNeverHappened}.";
        throw new TimeoutException($"{what} Its output{(output.Length == 0 ? " is empty." : ":\n" + output)}");
    }

    /// <summary>
    /// A bash test that the service's process group still runs: the group has a process, and its
    /// leader, while there is one, is the process that started it (the same start time). A group id
    /// is not given to a new process while its group has members, so only a leader that is gone
    /// with its group could have had its id reused.
    /// </summary>
    private static string StillRuns(string processId, string startTime) =>
        $"kill -0 -- -{processId} 2>/dev/null && ! {{ [ -r /proc/{processId}/stat ] && [ \"$(cut -d' ' -f22 /proc/{processId}/stat)\" != \"{startTime}\" ]; }}";

    /// <summary>
    /// A bash command that waits, polling every 50 ms, until <paramref name="check"/> succeeds (exit
    /// code 0), for at most <paramref name="seconds"/> (exit code 124); with <paramref name="exitFile"/>,
    /// ends as soon as that file appears, printing it (exit code 3). In a subshell, so its `exit`
    /// never ends the session's shell. Every readiness wait of the client is this one loop.
    /// </summary>
    internal static string PollCommand(string check, int seconds, string? exitFile = null) =>
        $"( end=$((SECONDS + {seconds})); until ( {check} ) 2>/dev/null; do " +
        (exitFile is null ? "" : $"[ -e {exitFile} ] && {{ cat {exitFile}; exit 3; }}; ") +
        "[ $SECONDS -ge $end ] && exit 124; sleep 0.05; done )";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ServiceName();

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex InvalidNameCharacters();
}
