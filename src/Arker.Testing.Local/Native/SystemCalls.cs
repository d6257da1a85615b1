using System.Runtime.InteropServices;

namespace Arker.Testing.Local.Native;

/// <summary>
/// The numbers of the Linux system calls the server makes by number: through libc's
/// <c>syscall(2)</c> where glibc has no wrapper, and from the rootless namespace helper, a perl
/// script whose only way to make them is perl's <c>syscall</c>. One table, so no number is
/// written twice.
/// </summary>
internal static class SystemCalls
{
    /// <summary><c>pidfd_send_signal(2)</c>: the same number on every architecture (Linux 5.1).</summary>
    public const long PidfdSendSignal = 424;

    /// <summary><c>pidfd_open(2)</c>: the same number on every architecture (Linux 5.3).</summary>
    public const long PidfdOpen = 434;

    /// <summary><c>openat2(2)</c>: the same number on every architecture (Linux 5.6).</summary>
    public const long Openat2 = 437;

    /// <summary>The calls whose numbers differ between architectures, for this machine's.</summary>
    /// <exception cref="PlatformNotSupportedException">On an architecture other than x64 and arm64.</exception>
    public static ArchitectureCalls ForThisMachine() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => new(Mount: 165, Umount2: 166, Setns: 308, Unshare: 272, Sendmsg: 46, Recvmsg: 47, PivotRoot: 155, Sethostname: 170, Setgroups: 116, Setresuid: 117, Setresgid: 119, Prctl: 157, Setsid: 112),
        Architecture.Arm64 => new(Mount: 40, Umount2: 39, Setns: 268, Unshare: 97, Sendmsg: 211, Recvmsg: 212, PivotRoot: 41, Sethostname: 161, Setgroups: 159, Setresuid: 147, Setresgid: 149, Prctl: 167, Setsid: 157),
        var other => throw new PlatformNotSupportedException($"the local Arker server runs on x64 and arm64 machines; this one is {other}"),
    };
}

/// <summary>System call numbers of one architecture.</summary>
internal readonly record struct ArchitectureCalls(
    long Mount, long Umount2, long Setns, long Unshare, long Sendmsg, long Recvmsg,
    long PivotRoot, long Sethostname, long Setgroups, long Setresuid, long Setresgid, long Prctl, long Setsid);
