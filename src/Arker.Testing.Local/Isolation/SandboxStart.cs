using System.Diagnostics;
using System.Globalization;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// <c>sandbox-start.pl</c>: what a sandbox's start needs between the server's fork and the program
/// it runs (a session of its own, namespaces entered, cgroups joined, the sandbox's user), in one
/// process instead of one program each (<c>setsid</c>, <c>nsenter</c>, a shell, <c>setpriv</c>).
/// </summary>
internal sealed class SandboxStart
{
    private static readonly Lazy<string> Script = new(() => EmbeddedScript.Read("Arker.Testing.Local.Isolation.sandbox-start.pl"));

    private readonly string _perl;
    private readonly string[] _systemCalls;

    public SandboxStart(string perl)
    {
        _perl = perl;
        ArchitectureCalls calls = SystemCalls.ForThisMachine();
        _systemCalls =
        [
            $"setsid={calls.Setsid}", $"setns={calls.Setns}",
            $"setgroups={calls.Setgroups}", $"setresgid={calls.Setresgid}", $"setresuid={calls.Setresuid}",
        ];
    }

    /// <summary>
    /// Runs <paramref name="command"/> in <paramref name="namespaces"/> ("kind:path", see
    /// <see cref="MountNamespace.NamespacesToEnter"/>), after joining <paramref name="cgroupProcsFiles"/>,
    /// as <paramref name="user"/> if given (root changing to the sandbox's ids).
    /// </summary>
    public ProcessStartInfo Command(IEnumerable<string> namespaces, IEnumerable<string> cgroupProcsFiles, (int Uid, int Gid)? user, IEnumerable<string> command)
    {
        IEnumerable<string> identity = user is { } ids
            ? [$"uid={ids.Uid.ToString(CultureInfo.InvariantCulture)}", $"gid={ids.Gid.ToString(CultureInfo.InvariantCulture)}"]
            : [];
        return StartInfo(Script.Value, [.. Settings(namespaces, cgroupProcsFiles), .. identity, "--", .. command]);
    }

    private IEnumerable<string> Settings(IEnumerable<string> namespaces, IEnumerable<string> cgroupProcsFiles) =>
        [.. _systemCalls, .. namespaces.Select(entry => "namespace=" + entry), .. cgroupProcsFiles.Select(procs => "cgroup=" + procs)];

    private ProcessStartInfo StartInfo(string script, IEnumerable<string> arguments)
    {
        ProcessStartInfo info = ChildProcesses.PipedWithCleanEnvironment(_perl);
        info.ArgumentList.Add("-e");
        info.ArgumentList.Add(script);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }
}
