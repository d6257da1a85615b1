using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>
/// The <c>arker-local</c> command run as a child process, for tests of signals and crashes.
/// Disposed, it is stopped as a user stops it (SIGTERM), so it cleans up after itself: as root its
/// mounts are in this machine's mount table, and killed they would stay there.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(30);

    private readonly Task<string> _errors;

    private ServerProcess(Process process, Uri baseUrl, Uri v01BaseUrl, Task<string> errors)
    {
        Process = process;
        BaseUrl = baseUrl;
        V01BaseUrl = v01BaseUrl;
        _errors = errors;
    }

    public Process Process { get; }

    public Uri BaseUrl { get; }

    /// <summary>The Arker API 0.1 base the start-up line names.</summary>
    public Uri V01BaseUrl { get; }

    /// <summary>
    /// The arker-local command's assembly (src/Arker.Testing.Local.Tool), built before these tests;
    /// <c>ARKER_LOCAL_COMMAND</c> names a copy of it (the rootless run copies the builds it runs).
    /// </summary>
    public static string ServerDll { get; } = Path.GetFullPath(Environment.GetEnvironmentVariable(CommandVariable) ?? BuiltCommand);

    /// <summary>The variable that names another copy of the arker-local assembly.</summary>
    public const string CommandVariable = "ARKER_LOCAL_COMMAND";

    /// <summary>Where the build put the arker-local assembly.</summary>
    public static string BuiltCommand => typeof(ServerProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ArkerLocalCommand").Value!;

    /// <summary>Starts the server on a free port and waits until it says where it listens.</summary>
    public static Task<ServerProcess> StartAsync(params string[] args) => StartAsync(new Dictionary<string, string>(), args);

    /// <summary>Starts the server with <paramref name="environment"/> added to this process's.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [ServerDll, "--urls", "http://127.0.0.1:0", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start)!;
        const string Banner = "Arker local server on ";
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken)) is not null)
        {
            if (line.StartsWith(Banner, StringComparison.Ordinal))
            {
                // Keep draining output so the child never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                Task<string> errors = process.StandardError.ReadToEndAsync();
                Match v01 = Regex.Match(line, @"Arker API 0\.1 clients: (\S+)\)");
                return new ServerProcess(process, new Uri(line[Banner.Length..].Split(' ')[0]), v01.Success ? new Uri(v01.Groups[1].Value) : throw new InvalidOperationException("the start-up line names no base for Arker API 0.1 clients: " + line), errors);
            }
        }

        string error = await process.StandardError.ReadToEndAsync();
        process.Dispose();
        throw new InvalidOperationException("arker-local exited before it listened: " + error);
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

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                StopAsync().Wait(StopPatience);
            }
        }
        catch (AggregateException)
        {
            // It would not stop: kill it, and leave what it holds to the next server's clean-up.
        }

        if (!Process.HasExited)
        {
            Process.Kill();
        }

        Process.Dispose();
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Terminate(int pid, int signal);
}
