using System.Diagnostics;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// Starts processes inside a VM: bubblewrap over the VM's merged root, as uid/gid 1000, with no
/// capabilities, in its own user, PID, mount, IPC, UTS (and by default network) namespaces, after
/// joining the VM's cgroups. As root, the process runs on the host as
/// <see cref="SandboxIdentity.HostUserId"/>, a uid no account has (never as root, nor as a person's uid
/// 1000). Without root it is started in the server's user namespace, as the invoking user outside.
/// What happens before bubblewrap runs is one small program's work (see <see cref="SandboxStart"/>).
/// </summary>
internal sealed class SandboxLauncher
{
    private static readonly string[] Environment =
    [
        "HOME=/home/user", "USER=user", "LOGNAME=user", "SHELL=/bin/bash", "LANG=C.UTF-8", "TERM=dumb",
        "PATH=/home/user/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ];

    private readonly string _bwrap;
    private readonly string _perl;
    private readonly SandboxStart _start;
    private readonly IReadOnlyList<string> _hostReadOnlyBinds;
    private readonly bool _shareNetwork;
    private readonly bool _canDisableUserNamespaces;
    private readonly MountNamespace _space;

    public SandboxLauncher(string bwrap, string perl, IReadOnlyList<string> hostReadOnlyBinds, bool shareNetwork, MountNamespace space)
    {
        _space = space;
        _canDisableUserNamespaces = SupportsDisablingUserNamespaces(bwrap);
        _bwrap = bwrap;
        _perl = perl;
        _start = new SandboxStart(perl);
        _hostReadOnlyBinds = hostReadOnlyBinds;
        _shareNetwork = shareNetwork;
    }

    /// <summary>The host folders every sandbox sees read-only (the base image's part outside its layers).</summary>
    public IReadOnlyList<string> BaseImageBinds => _hostReadOnlyBinds;

    /// <summary>
    /// The start of a sandbox over <paramref name="mergedRoot"/>: in a network namespace of its own,
    /// or, with <paramref name="network"/>, in that one (its VM's, shared by the VM's sessions).
    /// </summary>
    public ProcessStartInfo CreateStartInfo(string mergedRoot, IReadOnlyList<string> hostReadOnly, IReadOnlyList<string> cgroupProcsFiles, IReadOnlyList<string> command, string? network = null, bool rootInside = false)
    {
        if (rootInside)
        {
            return CreateRootInsideStartInfo(mergedRoot, hostReadOnly, cgroupProcsFiles, command, network);
        }

        // Root drops to the VM user's host uid; without root the process is that user already.
        (int, int)? user = _space.IsRootless ? null : (SandboxIdentity.HostUserId, SandboxIdentity.HostGroupId);
        string[] bubblewrap = [_bwrap, .. BubblewrapArguments(mergedRoot, hostReadOnly, shareNetwork: _shareNetwork || network is not null), "--", .. command];
        return _start.Command(_space.NamespacesToEnter(network), cgroupProcsFiles, user, bubblewrap);
    }

    /// <summary>
    /// Root inside (a VM of its own root filesystem, as root or with subordinate ids): <c>vm-init.pl</c>
    /// (see <see cref="VmInit"/>), in the server's namespaces and the VM's network, joins the VM's cgroups,
    /// makes a user namespace of the VM's ids (<see cref="VmIdMap"/>) and the session's mount, PID,
    /// IPC and UTS namespaces in it, and forks PID 1, which pivots into the VM's root and becomes the
    /// VM user. A user namespace per session, as bubblewrap makes one. No <c>no_new_privs</c> (which
    /// bubblewrap always sets): a set-user-id <c>sudo</c> in the image works, to root of the VM's
    /// namespace and nothing above it.
    /// </summary>
    private ProcessStartInfo CreateRootInsideStartInfo(string mergedRoot, IReadOnlyList<string> hostReadOnly, IReadOnlyList<string> cgroupProcsFiles, IReadOnlyList<string> command, string? network)
    {
        if (VmIdMap.Current is not { } map || hostReadOnly.Count > 0)
        {
            throw new InvalidOperationException("root inside is for VMs of their own root filesystem, on a server with a range of ids for them");
        }

        ProcessStartInfo info = StartInNamespaces(network, _perl);
        string[] settings =
        [
            $"root={mergedRoot}",
            .. cgroupProcsFiles.Select(procs => $"cgroup={procs}"),
            network is null && !_shareNetwork ? "own_network=1" : "own_network=",
        ];
        foreach (string argument in VmInit.Arguments(map, settings, command))
        {
            info.ArgumentList.Add(argument);
        }

        // The VM's environment from the start: nothing before the command reads it.
        info.Environment.Clear();
        foreach (string variable in Environment)
        {
            int equals = variable.IndexOf('=', StringComparison.Ordinal);
            info.Environment[variable[..equals]] = variable[(equals + 1)..];
        }

        return info;
    }

    /// <summary>What a VM network needs that this machine lacks, or null.</summary>
    public string? NetworkPrerequisitesMissing() =>
        _shareNetwork ? "VMs share the host's network (--share-network)" : null;

    /// <summary>
    /// A process with piped stdio and a clean environment that runs <paramref name="program"/> in the
    /// server's namespaces (and <paramref name="network"/>, if given); its arguments follow.
    /// </summary>
    private ProcessStartInfo StartInNamespaces(string? network, string program)
    {
        IReadOnlyList<string> prefix = _space.LaunchPrefix(network);
        ProcessStartInfo info = ChildProcesses.PipedWithCleanEnvironment(prefix.Count > 0 ? prefix[0] : program);
        foreach (string part in prefix.Count > 0 ? [.. prefix.Skip(1), program] : Array.Empty<string>())
        {
            info.ArgumentList.Add(part);
        }

        return info;
    }

    /// <summary>bubblewrap 0.8 and later can forbid user namespaces inside the sandbox.</summary>
    private static bool SupportsDisablingUserNamespaces(string bwrap)
    {
        using var help = Process.Start(new ProcessStartInfo(bwrap, "--help") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string text = help.StandardOutput.ReadToEnd();
        help.WaitForExit();
        return text.Contains("--disable-userns", StringComparison.Ordinal);
    }

    private IEnumerable<string> BubblewrapArguments(string mergedRoot, IReadOnlyList<string> hostReadOnly, bool shareNetwork)
    {
        yield return "--bind";
        yield return mergedRoot;
        yield return "/";
        foreach (string bind in hostReadOnly)
        {
            yield return "--ro-bind";
            yield return bind;
            yield return bind;
        }

        foreach (string arg in (string[])["--proc", "/proc", "--dev", "/dev", "--unshare-all", "--unshare-user"])
        {
            yield return arg;
        }

        if (shareNetwork)
        {
            // The host's network (--share-network), or the VM's own, which nsenter joined above.
            yield return "--share-net";
        }

        if (_canDisableUserNamespaces)
        {
            // No nested user namespaces: the VM user cannot gain capabilities even in a namespace of its own.
            yield return "--disable-userns";
        }

        foreach (string arg in (string[])[
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", $"{SandboxIdentity.VmUserId}", "--gid", $"{SandboxIdentity.VmGroupId}", "--hostname", "arker", "--chdir", "/home/user", "--clearenv"])
        {
            yield return arg;
        }

        foreach (string variable in Environment)
        {
            int equals = variable.IndexOf('=', StringComparison.Ordinal);
            yield return "--setenv";
            yield return variable[..equals];
            yield return variable[(equals + 1)..];
        }
    }
}
