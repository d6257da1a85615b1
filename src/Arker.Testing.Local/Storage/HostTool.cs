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
    public static string Run(string program, string[] arguments, Func<string, string> failure, string install) =>
        RunFound(Find(program, install), arguments, failure);

    /// <summary>
    /// <see cref="Run"/> as root of the server's user namespace, for what changes owners of VM
    /// files: as root, directly; without root, in a new user namespace of the same ids (the
    /// invoking user as root, and its subordinate ids where it has them; see <see cref="SubordinateIds"/>).
    /// </summary>
    public static string RunInServerNamespace(string program, string[] arguments, Func<string, string> failure, string install)
    {
        string path = Find(program, install);
        return Environment.IsPrivilegedProcess
            ? RunFound(path, arguments, failure)
            : RunFound(Find("unshare", "apt-get install util-linux"), ["--user", "--map-root-user", .. SubordinateIds.Current?.UnshareOptions ?? [], "--", path, .. arguments], failure);
    }

    /// <summary><see cref="Run"/> as root of a VM (see <see cref="VmIdMap"/>): what it writes has the VM's owners.</summary>
    public static string RunAsVmRoot(VmIdMap map, string program, string[] arguments, Func<string, string> failure, string install) =>
        RunInServerNamespace("perl", [.. VmInit.AsVmRoot(map, Find(program, install), arguments)], failure, "apt-get install perl-base");

    private static string Find(string program, string install) =>
        SandboxPrerequisites.FindExecutable(program) ?? throw new SandboxUnavailableException($"{program} is not installed; {install}");

    private static string RunFound(string path, string[] arguments, Func<string, string> failure)
    {
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
