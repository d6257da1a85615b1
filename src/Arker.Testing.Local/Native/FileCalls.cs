namespace Arker.Testing.Local.Native;

/// <summary>
/// The system calls the file operations make inside a VM's root: this process's own. Each returns
/// what its libc counterpart does (a descriptor or 0, else -1 with the errno in
/// <see cref="LibC.LastError"/>).
/// </summary>
internal class FileCalls
{
    /// <summary>This process's calls: as root, the file operations pass every permission check, as root of a VM would.</summary>
    public static readonly FileCalls Direct = new();

    public virtual int Openat2(int directory, string path, int flags, int mode, ulong resolve) => LibC.Openat2(directory, path, flags, mode, resolve);

    public virtual int Mkdirat(int directory, string name, int mode) => LibC.mkdirat(directory, name, mode);

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>, both in <paramref name="directory"/>.</summary>
    public virtual int Renameat(int directory, string from, string to) => LibC.renameat(directory, from, directory, to);

    public virtual int Unlinkat(int directory, string name) => LibC.unlinkat(directory, name, 0);
}
