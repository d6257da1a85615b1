using System.Runtime.InteropServices;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// Without root, with subordinate ids: the file operations' calls, made by this process, and where
/// it may not (a folder of a VM's root, a file only a VM's postgres may read), again by root of the
/// server's user namespace (the namespace helper, which the descriptors are passed to), as a server
/// running as root makes them: the file API reaches what root of the VM reaches, and nothing else
/// (paths are still resolved inside the VM's root only). What the helper makes is the invoking
/// user's, so the VM user's, as what this process makes.
/// </summary>
internal sealed class NamespaceFileCalls(NamespaceHelper helper) : FileCalls
{
    public override int Openat2(int directory, string path, int flags, int mode, ulong resolve)
    {
        int fd = base.Openat2(directory, path, flags, mode, resolve);
        return fd >= 0 || !Refused() ? fd : helper.CallIn("O", directory, path, flags, mode, resolve);
    }

    public override int Mkdirat(int directory, string name, int mode)
    {
        int result = base.Mkdirat(directory, name, mode);
        return result == 0 || !Refused() ? result : helper.CallIn("D", directory, name, mode);
    }

    public override int Renameat(int directory, string from, string to)
    {
        int result = base.Renameat(directory, from, to);
        return result == 0 || !Refused() ? result : helper.CallIn("R", directory, from, to);
    }

    public override int Unlinkat(int directory, string name)
    {
        int result = base.Unlinkat(directory, name);
        return result == 0 || !Refused() ? result : helper.CallIn("X", directory, name);
    }

    /// <summary>Whether the call failed for want of permission (EACCES or EPERM); the errno stays for the caller.</summary>
    private static bool Refused()
    {
        int errno = LibC.LastError;
        Marshal.SetLastPInvokeError(errno);
        return errno is 13 or 1;
    }
}
