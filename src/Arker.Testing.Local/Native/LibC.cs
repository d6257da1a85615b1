using System.Runtime.InteropServices;

namespace Arker.Testing.Local.Native;

/// <summary>The few Linux system calls the sandbox needs that .NET does not expose.</summary>
internal static partial class LibC
{
    public const int AtFdCwd = -100;
    public const int ONoFollow = 0x20000;
    public const int ODirectory = 0x10000;
    public const int OCloexec = 0x80000;
    public const int OPath = 0x200000;
    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int ORdWr = 2;

    /// <summary><c>O_TMPFILE</c>: an unnamed file in the directory's filesystem, linked in later with <c>linkat</c>.</summary>
    public const int OTmpFile = 0x400000 | ODirectory;

    public const ulong ResolveNoMagicLinks = 0x02;
    public const ulong ResolveInRoot = 0x10;

    public const int MntDetach = 2;
    public const int ENoEnt = 2;
    public const int EInval = 22;
    public const int ENotDir = 20;
    public const int EBusy = 16;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string fstype, ulong flags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int openat(int dirfd, string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdirat(int dirfd, string path, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int renameat(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport("libc")]
    public static partial int getuid();

    [LibraryImport("libc")]
    public static partial int getgid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlinkat(int dirfd, string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchown(int fd, int owner, int group);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchmod(int fd, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint recvmsg(nint socket, MessageHeader* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint sendmsg(nint socket, MessageHeader* message, int flags);

    /// <summary><c>struct msghdr</c> (LP64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    public const int SigKill = 9;
    public const int ENoSys = 38;

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long first, long second, long third, long fourth);

    /// <summary>
    /// pidfd_open(2): a descriptor that refers to process <paramref name="pid"/> for as long as the
    /// descriptor is open, whatever process later gets the same id; -1 and errno if it cannot.
    /// </summary>
    public static int PidfdOpen(int pid) => (int)syscall(SystemCalls.PidfdOpen, pid, 0, 0, 0);

    /// <summary>pidfd_send_signal(2): a signal to the process a pidfd refers to, and to no other.</summary>
    public static int PidfdSendSignal(int pidfd, int signal) => (int)syscall(SystemCalls.PidfdSendSignal, pidfd, signal, 0, 0);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial long syscall(long number, int dirfd, byte* path, OpenHow* how, nuint size);

    /// <summary>openat2(2): opens <paramref name="path"/> relative to <paramref name="dirfd"/> with resolve flags.</summary>
    public static unsafe int Openat2(int dirfd, string path, int flags, int mode, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = (ulong)mode, Resolve = resolve };
        int length = System.Text.Encoding.UTF8.GetByteCount(path);
        Span<byte> bytes = length < 512 ? stackalloc byte[length + 1] : new byte[length + 1];
        System.Text.Encoding.UTF8.GetBytes(path, bytes);
        bytes[length] = 0;
        fixed (byte* p = bytes)
        {
            return (int)syscall(SystemCalls.Openat2, dirfd, p, &how, (nuint)sizeof(OpenHow));
        }
    }

    public const int AtEmptyPath = 0x1000;
    public const uint StatxType = 0x1;
    public const uint StatxSize = 0x200;
    public const int SIfMt = 0xF000;
    public const int SIfReg = 0x8000;
    public const int SIfLnk = 0xA000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>The file type bits and size of an open file descriptor (statx has one layout on every architecture).</summary>
    public static (int Type, long Size) StatFd(int fd)
    {
        (int mode, long size) = StatModeFd(fd);
        return (mode & SIfMt, size);
    }

    /// <summary>The whole <c>st_mode</c> (type and permission bits) and the size of an open descriptor.</summary>
    public static unsafe (int Mode, long Size) StatModeFd(int fd)
    {
        byte* buffer = stackalloc byte[256];
        if (statx(fd, "", AtEmptyPath, StatxType | StatxSize, buffer) != 0)
        {
            throw new IOException($"statx failed: {Describe(LastError)}");
        }

        ushort mode = *(ushort*)(buffer + 28);
        long size = *(long*)(buffer + 40);
        return (mode, size);
    }

    public const int AtSymlinkNoFollow = 0x100;
    private const uint StatxMode = 0x2;
    private const uint StatxUid = 0x8;
    private const uint StatxGid = 0x10;

    private const uint StatxNlink = 0x4;
    private const uint StatxIno = 0x100;

    /// <summary>The owner, group and whole <c>st_mode</c> of <paramref name="path"/> itself (a symbolic link's own, not its target's).</summary>
    public static (int Uid, int Gid, int Mode) StatOwner(string path)
    {
        (int uid, int gid, int mode, _, _) = StatOwnerAndLinks(path);
        return (uid, gid, mode);
    }

    /// <summary><see cref="StatOwner"/>, with the number of hard links and the inode number.</summary>
    public static unsafe (int Uid, int Gid, int Mode, int Links, ulong Inode) StatOwnerAndLinks(string path)
    {
        byte* buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxMode | StatxUid | StatxGid | StatxNlink | StatxIno, buffer) != 0)
        {
            throw new IOException($"cannot read the owner of {path}: {Describe(LastError)}");
        }

        return (*(int*)(buffer + 20), *(int*)(buffer + 24), *(ushort*)(buffer + 28), *(int*)(buffer + 16), *(ulong*)(buffer + 32));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fchownat(int dirfd, string path, int owner, int group, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chmod(string path, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint lgetxattr(string path, string name, byte[]? value, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lsetxattr(string path, string name, byte[] value, nuint size, int flags);

    public static int LastError => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
