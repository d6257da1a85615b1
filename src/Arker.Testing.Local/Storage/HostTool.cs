using System.Diagnostics;

namespace Arker.Testing.Local.Storage;

/// <summary>Runs a program of this machine (tar, skopeo, umoci) to its end; a failure stops the server's start with the program's own words.</summary>
internal static class HostTool
{
    /// <summary>What <paramref name="program"/> printed; a non-zero exit is a <see cref="SandboxUnavailableException"/> worded by <paramref name="failure"/> from its stderr.</summary>
    public static string Run(string program, string[] arguments, Func<string, string> failure, string install)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new SandboxUnavailableException($"{program} is not installed; {install}");
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Result : throw new SandboxUnavailableException(failure(errors.Trim()));
        }
    }
}
