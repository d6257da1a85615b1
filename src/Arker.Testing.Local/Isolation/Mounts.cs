using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// The server's mounts (VM overlays, read-only views, the instance folder), made in its
/// <see cref="MountNamespace"/>: by this process with mount(2) as root, by the namespace's helper
/// without root. No process is started per mount either way.
/// </summary>
internal sealed class Mounts(MountNamespace space)
{
    private const ulong MsReadOnly = 0x1;
    private const ulong MsNoDev = 0x4;
    private const ulong MsBind = 0x1000;
    private const ulong MsPrivate = 0x40000;

    public MountNamespace Space => space;

    /// <summary>Overlays in a user namespace keep their metadata in <c>user.overlay.*</c> attributes.</summary>
    private string ExtraOptions => space.IsRootless ? ",userxattr" : "";

    /// <summary>
    /// Mounts an overlay of <paramref name="lowers"/> (topmost first) under a writable upper: a VM's
    /// root, where no device node opens (<c>nodev</c>; a VM's devices are its own <c>/dev</c>), so
    /// one an image carried is nothing but a name.
    /// </summary>
    public void MountOverlay(IReadOnlyList<string> lowers, string upper, string work, string target)
    {
        string options = $"lowerdir={string.Join(':', lowers)},upperdir={upper},workdir={work},volatile{ExtraOptions}";
        int errno = space.Mount("overlay", target, "overlay", MsNoDev, options);
        if (errno != 0)
        {
            throw new IOException($"overlay mount of {target} failed: {LibC.Describe(errno)} (errno {errno}, {lowers.Count} layers)");
        }
    }

    /// <summary>Mounts a read-only overlay of <paramref name="lowers"/> (at least two, topmost first).</summary>
    public void MountReadOnlyOverlay(IReadOnlyList<string> lowers, string target)
    {
        int errno = space.Mount("overlay", target, "overlay", MsReadOnly, $"lowerdir={string.Join(':', lowers)}{ExtraOptions}");
        if (errno != 0)
        {
            throw new IOException($"read-only overlay mount of {target} failed: {LibC.Describe(errno)} (errno {errno})");
        }
    }

    /// <summary>
    /// Makes <paramref name="directory"/> a private mount: a fresh tmpfs, or a bind of itself. Without
    /// root there is nothing to do: the namespace is private already, and a tmpfs mounted in it would
    /// hide the folder from this process (memory storage then lives on an existing tmpfs, see
    /// the data root).
    /// </summary>
    public void MountPrivate(string directory, bool tmpfs)
    {
        if (space.IsRootless)
        {
            return;
        }

        int errno = tmpfs
            ? space.Mount("arker-local", directory, "tmpfs", 0, "mode=0755,size=50%")
            : space.Mount(directory, directory, "", MsBind, null);
        errno = errno != 0 ? errno : space.Mount("", directory, "", MsPrivate, null);
        if (errno != 0)
        {
            throw new IOException($"cannot mount the instance folder {directory}: {LibC.Describe(errno)} (errno {errno})");
        }
    }

    /// <summary>Unmounts <paramref name="target"/>; a target that is not mounted is not an error.</summary>
    public void Unmount(string target, bool detach = false)
    {
        int errno = space.Unmount(target, detach ? LibC.MntDetach : 0);
        if (errno is 0 or LibC.EInval or LibC.ENoEnt)
        {
            return;
        }

        if (!detach && errno == LibC.EBusy && space.Unmount(target, LibC.MntDetach) == 0)
        {
            return;
        }

        throw new IOException($"unmount of {target} failed: {LibC.Describe(errno)} (errno {errno})");
    }

    /// <summary>
    /// Detaches the mount at <paramref name="target"/> at once and returns a descriptor that keeps it
    /// alive; closing that descriptor later tears it down (the storage room does it off the request path).
    /// </summary>
    public int Detach(string target)
    {
        int pin = LibC.openat(LibC.AtFdCwd, space.View(target), LibC.OPath | LibC.ODirectory | LibC.OCloexec, 0);
        Unmount(target, detach: true);
        return pin;
    }

    /// <summary>The mount points at or below <paramref name="prefix"/> in this namespace, deepest first; none once the namespace has ended (its mounts ended with it).</summary>
    public IReadOnlyList<string> MountPointsUnder(string prefix) => MountPointsUnder(space.ReadMountTable(), prefix);

    /// <summary>The mount points at or below <paramref name="prefix"/> in a mount table, deepest first.</summary>
    public static IReadOnlyList<string> MountPointsUnder(IEnumerable<string> mountTable, string prefix)
    {
        string withSlash = prefix.TrimEnd('/') + "/";
        var points = new List<string>();
        foreach (string line in mountTable)
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
