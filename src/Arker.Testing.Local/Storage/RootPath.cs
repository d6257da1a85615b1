using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// A path inside a root filesystem as this machine may read it: an image's symbolic links point
/// where the image says (<c>/etc</c> → this machine's own <c>/etc</c>, if read from here), so a path
/// that goes through one is treated as absent. What the VM itself sees is resolved inside its root.
/// </summary>
internal static class RootPath
{
    private const int SIfDir = 0x4000;

    /// <summary><paramref name="relative"/> below <paramref name="root"/> when it exists and no part of it is a link; else null.</summary>
    public static string? Existing(string root, string relative)
    {
        string path = root;
        foreach (string part in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path = Path.Combine(path, part);
            int mode;
            try
            {
                mode = LibC.StatOwner(path).Mode;
            }
            catch (IOException)
            {
                return null; // not there
            }

            if ((mode & LibC.SIfMt) == LibC.SIfLnk)
            {
                return null;
            }
        }

        return path;
    }

    /// <summary>Whether <paramref name="relative"/> is a file (not through a link) below <paramref name="root"/>.</summary>
    public static bool IsFile(string root, string relative) =>
        Existing(root, relative) is { } path && (LibC.StatOwner(path).Mode & LibC.SIfMt) == LibC.SIfReg;

    /// <summary>Whether <paramref name="relative"/> is a folder (not through a link) below <paramref name="root"/>.</summary>
    public static bool IsFolder(string root, string relative) =>
        Existing(root, relative) is { } path && (LibC.StatOwner(path).Mode & LibC.SIfMt) == SIfDir;
}
