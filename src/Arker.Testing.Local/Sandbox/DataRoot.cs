namespace Arker.Testing.Local.Sandbox;

/// <summary>Where server instances keep their files, and what kind of filesystem a folder is on.</summary>
internal static class DataRoot
{
    /// <summary>
    /// The folder under which server instances keep their files: the one given, else
    /// <c>arker-local</c> in the system's temporary folder. Without root, each user has their own
    /// (<c>arker-local-&lt;uid&gt;</c>), on <c>/dev/shm</c> for memory storage, since a tmpfs the
    /// server mounted in its namespace would be out of its own sight.
    /// </summary>
    public static string For(string? given, VmStorage storage = VmStorage.Memory)
    {
        if (given is not null)
        {
            return given;
        }

        if (Environment.IsPrivilegedProcess)
        {
            return Path.Combine(Path.GetTempPath(), "arker-local");
        }

        string folder = $"arker-local-{Native.LibC.getuid()}";
        return storage == VmStorage.Memory && StorageKind("/dev/shm") == "tmpfs" ? Path.Combine("/dev/shm", folder) : Path.Combine(Path.GetTempPath(), folder);
    }

    /// <summary>Every data root a server of this user may have used when none was given.</summary>
    public static IEnumerable<string> Defaults() => new[] { For(null, VmStorage.Memory), For(null, VmStorage.Disk) }.Distinct();

    /// <summary>The type of filesystem a folder is on (<c>tmpfs</c>, <c>ext4</c>, …), from the mount table.</summary>
    public static string StorageKind(string folder)
    {
        string best = "";
        string kind = "disk";
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }

            string point = fields[4];
            if ((folder == point || folder.StartsWith(point.TrimEnd('/') + "/", StringComparison.Ordinal)) && point.Length >= best.Length)
            {
                best = point;
                kind = fields[separator + 1];
            }
        }

        return kind;
    }
}
