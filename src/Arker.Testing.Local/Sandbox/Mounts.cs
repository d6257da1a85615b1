using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Sandbox;

/// <summary>Overlay mounts through the mount(2) system call (no process per mount).</summary>
internal static class Mounts
{
    /// <summary>Mounts an overlay of <paramref name="lowers"/> (topmost first) under a writable upper.</summary>
    public static void MountOverlay(IReadOnlyList<string> lowers, string upper, string work, string target)
    {
        string options = $"lowerdir={string.Join(':', lowers)},upperdir={upper},workdir={work},volatile";
        if (LibC.mount("overlay", target, "overlay", 0, options) != 0)
        {
            int errno = LibC.LastError;
            throw new IOException($"overlay mount of {target} failed: {LibC.Describe(errno)} (errno {errno}, {lowers.Count} layers)");
        }
    }

    /// <summary>Mounts a read-only overlay of <paramref name="lowers"/> (at least two, topmost first).</summary>
    public static void MountReadOnlyOverlay(IReadOnlyList<string> lowers, string target)
    {
        if (LibC.mount("overlay", target, "overlay", MsReadOnly, $"lowerdir={string.Join(':', lowers)}") != 0)
        {
            int errno = LibC.LastError;
            throw new IOException($"read-only overlay mount of {target} failed: {LibC.Describe(errno)} (errno {errno})");
        }
    }

    private const ulong MsReadOnly = 0x1;
    private const ulong MsBind = 0x1000;
    private const ulong MsPrivate = 0x40000;

    /// <summary>Makes <paramref name="directory"/> a private mount: a fresh tmpfs, or a bind of itself.</summary>
    public static void MountPrivate(string directory, bool tmpfs)
    {
        int result = tmpfs
            ? LibC.mount("arker-local", directory, "tmpfs", 0, "mode=0755,size=50%")
            : LibC.mount(directory, directory, "", MsBind, null);
        if (result != 0 || LibC.mount("", directory, "", MsPrivate, null) != 0)
        {
            int errno = LibC.LastError;
            throw new IOException($"cannot mount the instance folder {directory}: {LibC.Describe(errno)} (errno {errno})");
        }
    }

    /// <summary>Unmounts <paramref name="target"/>; a target that is not mounted is not an error.</summary>
    public static void Unmount(string target, bool detach = false)
    {
        if (LibC.umount2(target, detach ? LibC.MntDetach : 0) == 0)
        {
            return;
        }

        int errno = LibC.LastError;
        if (errno is LibC.EInval or LibC.ENoEnt)
        {
            return;
        }

        if (!detach && errno == LibC.EBusy && LibC.umount2(target, LibC.MntDetach) == 0)
        {
            return;
        }

        throw new IOException($"unmount of {target} failed: {LibC.Describe(errno)} (errno {errno})");
    }

    /// <summary>
    /// Detaches the mount at <paramref name="target"/> at once and returns a descriptor that keeps it
    /// alive; closing that descriptor later tears it down (see <see cref="BackgroundCleanup.ReleaseMount"/>).
    /// </summary>
    public static int Detach(string target)
    {
        int pin = LibC.openat(LibC.AtFdCwd, target, LibC.OPath | LibC.ODirectory | LibC.OCloexec, 0);
        Unmount(target, detach: true);
        return pin;
    }

    /// <summary>The mount points at or below <paramref name="prefix"/>, deepest first.</summary>
    public static IReadOnlyList<string> MountPointsUnder(string prefix)
    {
        string withSlash = prefix.TrimEnd('/') + "/";
        var points = new List<string>();
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length < 5)
            {
                continue;
            }

            string point = UnescapeOctal(fields[4]);
            if (point == prefix.TrimEnd('/') || point.StartsWith(withSlash, StringComparison.Ordinal))
            {
                points.Add(point);
            }
        }

        return points.OrderByDescending(p => p.Length).ToArray();
    }

    private static string UnescapeOctal(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }
}
