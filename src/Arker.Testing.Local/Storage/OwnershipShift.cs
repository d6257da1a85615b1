using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// Moves every file of an unpacked root filesystem by a fixed offset of owner and group ids: id
/// <c>n</c> of the root becomes <c>offset + n</c> on this machine, which a VM's user namespace maps
/// back to <c>n</c> (see <see cref="Isolation.SandboxIdentity.VmIdRangeStart"/>). Changing an owner
/// clears set-user-id and set-group-id bits and file capabilities, so both are put back as they were.
/// </summary>
internal static class OwnershipShift
{
    private const int SetIdBits = 0xC00; // S_ISUID | S_ISGID
    private const string Capabilities = "security.capability";
    private const int SIfDir = 0x4000;

    public static void Apply(string root, int offset)
    {
        var linked = new HashSet<ulong>();
        Shift(root, offset, linked);
        ShiftBelow(root, offset, linked);
    }

    /// <summary>
    /// Every file below <paramref name="directory"/>, each once: symbolic links are changed
    /// themselves, never followed, and a file of several hard links only at the first.
    /// </summary>
    private static void ShiftBelow(string directory, int offset, HashSet<ulong> linked)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(directory, "*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            if (Shift(entry, offset, linked))
            {
                ShiftBelow(entry, offset, linked);
            }
        }
    }

    /// <summary>Shifts one entry's owner and group; whether it is a directory (not a link to one).</summary>
    private static bool Shift(string path, int offset, HashSet<ulong> linked)
    {
        (int uid, int gid, int mode, int links, ulong inode) = LibC.StatOwnerAndLinks(path);
        bool directory = (mode & LibC.SIfMt) == SIfDir;
        if (!directory && links > 1 && !linked.Add(inode))
        {
            return false;
        }

        bool link = (mode & LibC.SIfMt) == LibC.SIfLnk;
        byte[]? capabilities = link ? null : ReadCapabilities(path);
        if (LibC.fchownat(LibC.AtFdCwd, path, offset + uid, offset + gid, LibC.AtSymlinkNoFollow) != 0)
        {
            throw new IOException($"cannot change the owner of {path}: {LibC.Describe(LibC.LastError)}");
        }

        if (!link && (mode & SetIdBits) != 0)
        {
            _ = LibC.chmod(path, mode & 0xFFF);
        }

        if (capabilities is not null)
        {
            _ = LibC.lsetxattr(path, Capabilities, capabilities, (nuint)capabilities.Length, 0);
        }

        return directory;
    }

    private static byte[]? ReadCapabilities(string path)
    {
        nint size = LibC.lgetxattr(path, Capabilities, null, 0);
        if (size <= 0)
        {
            return null;
        }

        byte[] value = new byte[size];
        return LibC.lgetxattr(path, Capabilities, value, (nuint)value.Length) == size ? value : null;
    }
}
