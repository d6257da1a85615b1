using System.Diagnostics;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// Starts processes inside a VM: bubblewrap over the VM's merged root, as uid/gid 1000, with no
/// capabilities, in its own user, PID, mount, IPC, UTS (and by default network) namespaces, after
/// joining the VM's cgroups. As root, the process runs on the host as
/// <see cref="SandboxIdentity.HostUserId"/>, a uid no account has (never as root, nor as a person's uid
/// 1000). Without root it is started in the server's user namespace (through <c>nsenter</c>), as
/// the invoking user outside.
/// </summary>
internal sealed class SandboxLauncher
{
    // Joins each cgroup given before "--", then becomes the command after it.
    private const string JoinCgroupsThenExec =
        "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; exec \"$@\"";

    private static readonly string[] Environment =
    [
        "HOME=/home/user", "USER=user", "LOGNAME=user", "SHELL=/bin/bash", "LANG=C.UTF-8", "TERM=dumb",
        "PATH=/home/user/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ];

    private readonly string _bwrap;
    private readonly string _setpriv;
    private readonly IReadOnlyList<string> _hostReadOnlyBinds;
    private readonly bool _shareNetwork;
    private readonly bool _canDisableUserNamespaces;
    private readonly MountNamespace _space;
    private readonly string? _ip = SandboxPrerequisites.FindExecutable("ip");
    private readonly string? _nft = SandboxPrerequisites.FindExecutable("nft");

    public SandboxLauncher(string bwrap, string setpriv, IReadOnlyList<string> hostReadOnlyBinds, bool shareNetwork, MountNamespace space)
    {
        _space = space;
        _canDisableUserNamespaces = SupportsDisablingUserNamespaces(bwrap);
        _bwrap = bwrap;
        _setpriv = setpriv;
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

        ProcessStartInfo info = StartInNamespaces(network, "/bin/sh");
        var args = info.ArgumentList;
        args.Add("-c");
        args.Add(JoinCgroupsThenExec);
        args.Add("sh");
        foreach (string procs in cgroupProcsFiles)
        {
            args.Add(procs);
        }

        args.Add("--");
        if (!_space.IsRootless)
        {
            // Root drops to the VM user's host uid; without root the process is that user already.
            args.Add(_setpriv);
            args.Add($"--reuid={SandboxIdentity.HostUserId}");
            args.Add($"--regid={SandboxIdentity.HostGroupId}");
            args.Add("--clear-groups");
            args.Add("--");
        }

        args.Add(_bwrap);
        foreach (string arg in BubblewrapArguments(mergedRoot, hostReadOnly, shareNetwork: _shareNetwork || network is not null))
        {
            args.Add(arg);
        }

        args.Add("--");
        foreach (string part in command)
        {
            args.Add(part);
        }

        return info;
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

        ProcessStartInfo info = StartInNamespaces(network, SandboxPrerequisites.FindExecutable("perl") ?? "perl");
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

    /// <summary>
    /// The set-up of a VM network, made ahead of its VM (see <see cref="Network.GatewayPool"/>): a
    /// new network namespace (owned, without root, by the server's user namespace) with its
    /// loopback up, a route that takes every other address to it, and nftables rules that send
    /// outbound TCP, DNS and other UDP to the ports where the VM's gateway sockets will listen
    /// (see <see cref="Network.PreparedNetwork"/>). It says <c>ready</c> and waits until its stdin
    /// closes, so the server can hold the namespace first; then no process is left in it.
    /// </summary>
    public ProcessStartInfo CreateNetworkStartInfo()
    {
        ProcessStartInfo info = StartInNamespaces(null, SandboxPrerequisites.FindExecutable("unshare") ?? "unshare");
        string[] ports = [.. new[] { Network.PreparedNetwork.ConnectionsPort, Network.PreparedNetwork.LookupsPort, Network.PreparedNetwork.DatagramsPort }
            .Select(port => port.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        foreach (string part in (string[])["--net", "--", "/bin/sh", "-c", NetworkSetup, "sh", _ip!, _nft!, .. ports])
        {
            info.ArgumentList.Add(part);
        }

        return info;
    }

    /// <summary>What a VM network needs that this machine lacks, or null.</summary>
    public string? NetworkPrerequisitesMissing() =>
        _shareNetwork ? "VMs share the host's network (--share-network)"
        : _ip is null ? "'ip' is not installed (apt-get install iproute2)"
        : _nft is null ? "'nft' is not installed (apt-get install nftables)"
        : null;

    // Run by /bin/sh in the new namespace: $1 ip, $2 nft, then the gateway's ports for TCP, DNS
    // and other datagrams. Datagrams other than DNS are marked,
    // routed back into the namespace (table 100) and diverted to the gateway's socket by TPROXY,
    // which keeps their destination for it to read. 127.0.0.2 is there for glibc's AI_ADDRCONFIG,
    // which counts only IPv4 addresses other than 127.0.0.1 as a network.
    private const string NetworkSetup = """
        ip="$1" nft="$2" tcp="$3" dns="$4" udp="$5"
        "$ip" link set lo up && "$ip" addr add 127.0.0.2/8 dev lo && "$ip" route add default dev lo src 127.0.0.1 &&
        "$ip" rule add fwmark 1 lookup 100 && "$ip" route add local 0.0.0.0/0 dev lo table 100 &&
        "$nft" -f - <<RULES && echo ready && read -r held
        table ip arker {
          chain steer {
            type nat hook output priority -100; policy accept;
            ip daddr 127.0.0.0/8 return
            udp dport 53 redirect to :$dns
            meta l4proto tcp redirect to :$tcp
          }
          chain mark_datagrams {
            type route hook output priority mangle; policy accept;
            ip daddr != 127.0.0.0/8 udp dport != 53 meta mark set 1
          }
          chain divert_datagrams {
            type filter hook prerouting priority mangle; policy accept;
            meta l4proto udp meta mark 1 tproxy to 127.0.0.1:$udp
          }
          chain refuse_others {
            type filter hook output priority 0; policy accept;
            ct status dnat accept
            meta mark 1 accept
            ip daddr != 127.0.0.0/8 reject with icmp type admin-prohibited
          }
        }
        RULES
        """;

    /// <summary>
    /// A process with piped stdio and a clean environment that runs <paramref name="program"/> in the
    /// server's namespaces (and <paramref name="network"/>, if given); its arguments follow.
    /// </summary>
    private ProcessStartInfo StartInNamespaces(string? network, string program)
    {
        IReadOnlyList<string> prefix = _space.LaunchPrefix(network);
        var info = new ProcessStartInfo(prefix.Count > 0 ? prefix[0] : program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };

        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
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
