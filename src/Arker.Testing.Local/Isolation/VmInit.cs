using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// <c>vm-init.pl</c>, which starts what runs in a user namespace of a VM's ids (see
/// <see cref="VmIdMap"/>): a session of a VM with root inside, or, with <c>tool=1</c>, a program of
/// this machine run as the VM's root (what unpacks a root filesystem with the VM's owners).
/// </summary>
internal static class VmInit
{
    private static readonly Lazy<string> Script = new(() => EmbeddedScript.Read("Arker.Testing.Local.Isolation.vm-init.pl"));

    /// <summary>perl's arguments: the script, <paramref name="settings"/> (name=value), the map and the system call numbers, then <paramref name="command"/>.</summary>
    public static IEnumerable<string> Arguments(VmIdMap map, IEnumerable<string> settings, IEnumerable<string> command)
    {
        ArchitectureCalls calls = SystemCalls.ForThisMachine();
        return
        [
            "-e", Script.Value, .. settings, $"map={map.ProcMap}",
            $"mount={calls.Mount}", $"umount2={calls.Umount2}", $"pivot_root={calls.PivotRoot}", $"sethostname={calls.Sethostname}", $"unshare={calls.Unshare}",
            $"setgroups={calls.Setgroups}", $"setresgid={calls.Setresgid}", $"setresuid={calls.Setresuid}", $"prctl={calls.Prctl}", $"setsid={calls.Setsid}", "--",
            .. command,
        ];
    }

    /// <summary>perl's arguments that run <paramref name="program"/> as the VM's root, where perl starts.</summary>
    public static IEnumerable<string> AsVmRoot(VmIdMap map, string program, IEnumerable<string> arguments) =>
        Arguments(map, ["tool=1"], [program, .. arguments]);
}
