using System.Diagnostics;
using Arker.Testing.Local.Isolation;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// Runs a program of this machine (tar, skopeo, umoci) to its end; a failure stops what needed it
/// with the program's own words. It starts as every child of the server does (see
/// <see cref="ChildProcesses"/>), and dies with the server (a parent-death signal): a server killed
/// while it fetches or unpacks an image leaves no fetch or unpack running behind it.
/// </summary>
internal static class HostTool
{
    private static readonly string? Setpriv = SandboxPrerequisites.FindExecutable("setpriv");

    /// <summary>What <paramref name="program"/> printed; a non-zero exit is a <see cref="SandboxUnavailableException"/> worded by <paramref name="failure"/> from its stderr.</summary>
    public static string Run(string program, string[] arguments, Func<string, string> failure, string install)
    {
        string path = SandboxPrerequisites.FindExecutable(program) ?? throw new SandboxUnavailableException($"{program} is not installed; {install}");
        var start = new ProcessStartInfo(Setpriv ?? path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        string[] dieWithTheServer = Setpriv is null ? [] : ["--pdeathsig", "KILL", "--", path];
        foreach (string argument in (string[])[.. dieWithTheServer, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = ChildProcesses.StartAsync(start).GetAwaiter().GetResult();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.Result : throw new SandboxUnavailableException(failure(errors.Trim()));
    }
}
