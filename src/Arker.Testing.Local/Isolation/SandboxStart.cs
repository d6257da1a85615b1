using System.Diagnostics;
using System.Globalization;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// <c>sandbox-start.pl</c>: what a sandbox's start, or a VM network's set-up, needs between the
/// server's fork and the program it runs (a session of its own, namespaces entered, cgroups
/// joined, the sandbox's user; a network namespace with its addresses and routes), in one process
/// instead of one program each (<c>setsid</c>, <c>nsenter</c>, a shell, <c>setpriv</c>;
/// <c>unshare</c>, a shell and five runs of <c>ip</c>).
/// </summary>
internal sealed class SandboxStart
{
    private static readonly Lazy<string> Script = new(() => EmbeddedScript.Read("Arker.Testing.Local.Isolation.sandbox-start.pl"));

    /// <summary>The names <c>sandbox-start.pl</c> gives <see cref="VmNetworkLayout.Fields"/>, in their order.</summary>
    private static readonly string[] NetworkSettingNames = ["mark", "table", "tcp_port", "dns_port", "udp_port"];

    /// <summary>For a network's set-up: <c>vm-network.pl</c> before it, which only set-ups compile.</summary>
    private static readonly Lazy<string> NetworkScript = new(() => EmbeddedScript.Read("Arker.Testing.Local.Isolation.vm-network.pl") + Script.Value);

    private readonly string _perl;
    private readonly string[] _systemCalls;

    public SandboxStart(string perl)
    {
        _perl = perl;
        ArchitectureCalls calls = SystemCalls.ForThisMachine();
        _systemCalls =
        [
            $"setsid={calls.Setsid}", $"setns={calls.Setns}", $"unshare={calls.Unshare}",
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

    /// <summary>
    /// Makes a VM network in <paramref name="namespaces"/>: a new network namespace set up as
    /// <paramref name="layout"/> says (<c>vm-network.pl</c>); it says <c>ready</c> and waits until its
    /// stdin closes.
    /// </summary>
    public ProcessStartInfo NetworkSetup(IEnumerable<string> namespaces, VmNetworkLayout layout) =>
        StartInfo(NetworkScript.Value, [.. Settings(namespaces, []), "network_setup=1",
            .. NetworkSettingNames.Zip(layout.Fields, (name, value) => $"{name}={value}"), "--"]);

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
