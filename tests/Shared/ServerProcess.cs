using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Arker.Testing.TestSupport;

/// <summary>
/// The <c>arker-local</c> command run as a child process, as users run it: for tests of signals
/// and crashes, and for benchmarks that read its memory apart. Disposed, it is stopped as a user
/// stops it (SIGTERM), so it cleans up after itself: as root its mounts are in this machine's
/// mount table, and killed they would stay there. One source file, compiled into the tests and
/// the benchmarks.
/// </summary>
public sealed class ServerProcess : IDisposable, IAsyncDisposable
{
    /// <summary>The variable that names another copy or build of the arker-local assembly.</summary>
    public const string CommandVariable = "ARKER_LOCAL_COMMAND";

    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(30);
    private const string Banner = "Arker local server on ";
    private const int SigTerm = 15;

    private readonly Task<string> _errors;

    private ServerProcess(Process process, Uri baseUrl, Uri v01BaseUrl, Task<string> errors)
    {
        Process = process;
        BaseUrl = baseUrl;
        V01BaseUrl = v01BaseUrl;
        _errors = errors;
    }

    public Process Process { get; }

    /// <summary>Where the server listens (its origin).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The Arker API 0.1 base the start-up line names.</summary>
    public Uri V01BaseUrl { get; }

    /// <summary>
    /// The arker-local command's assembly: <see cref="CommandVariable"/> when set (a copy, or an
    /// earlier commit's build to compare), else the build's (the <c>ArkerLocalCommand</c> metadata of
    /// the test or benchmark assembly, built before it).
    /// </summary>
    public static string ServerDll { get; } = Path.GetFullPath(Environment.GetEnvironmentVariable(CommandVariable) ?? BuiltCommand);

    /// <summary>Where the build put the arker-local assembly.</summary>
    public static string BuiltCommand => Assembly.GetEntryAssembly()!
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ArkerLocalCommand").Value!;

    /// <summary>Starts the server on a free port and waits until it says where it listens.</summary>
    public static Task<ServerProcess> StartAsync(params string[] args) => StartAsync(args, environment: null);

    /// <summary>Starts the server with <paramref name="environment"/> added to this process's.</summary>
    public static Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] args) => StartAsync(args, environment);

    /// <summary>
    /// Starts the server with <paramref name="args"/>; with <paramref name="asUser"/>, as that
    /// unprivileged account (through setpriv, from this process as root), so it runs rootless.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, string? asUser = null, CancellationToken cancellationToken = default)
    {
        string[] server = ["dotnet", ServerDll, "--urls", "http://127.0.0.1:0", .. args];
        string[] command = asUser is null ? server
            : ["setpriv", $"--reuid={asUser}", $"--regid={asUser}", "--init-groups", "--", "env", "HOME=/tmp", $"PATH={Environment.GetEnvironmentVariable("PATH")}", "DOTNET_NOLOGO=1", .. server];
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start)!;
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith(Banner, StringComparison.Ordinal))
            {
                line = line[Banner.Length..];
                // Keep draining output so the child never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                Task<string> errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
                Match v01 = Regex.Match(line, @"Arker API 0\.1 clients: (\S+)\)");
                return new ServerProcess(process, new Uri(line.Split(' ')[0]), v01.Success ? new Uri(v01.Groups[1].Value) : throw new InvalidOperationException("the start-up line names no base for Arker API 0.1 clients: " + line), errors);
            }
        }

        string error = await process.StandardError.ReadToEndAsync(cancellationToken);
        process.Dispose();
        throw new InvalidOperationException("arker-local exited before it listened: " + error);
    }

    /// <summary>Resident and peak resident memory of the server process, in MiB.</summary>
    public (double Rss, double Peak) Memory()
    {
        double Read(string key) => double.Parse(File.ReadLines($"/proc/{Process.Id}/status").First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        return (Read("VmRSS:"), Read("VmHWM:"));
    }

    /// <summary>Stops the server with SIGTERM and waits for it; returns its exit code and what it wrote to stderr.</summary>
    public async Task<(int ExitCode, string Errors)> StopAsync()
    {
        if (!Process.HasExited)
        {
            _ = Terminate(Process.Id, SigTerm);
        }

        using var patience = new CancellationTokenSource(StopPatience);
        await Process.WaitForExitAsync(patience.Token);
        return (Process.ExitCode, await _errors);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                await StopAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // It would not stop: killed below, what it holds is left to the next server's clean-up.
        }

        if (!Process.HasExited)
        {
            Process.Kill();
        }

        Process.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().Wait(StopPatience + TimeSpan.FromSeconds(5));

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Terminate(int pid, int signal);
}
