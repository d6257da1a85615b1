namespace Arker.Testing.Local.Storage;

/// <summary>
/// The root filesystems unpacked below the base cache's folder (archives in <c>roots/</c>, container
/// images in <c>images/roots/</c>, with the images' fetched blobs in <c>images/layout/</c>): listed,
/// and pruned. A server holds a shared lock on a root it uses (<see cref="Use"/>) for as long as it
/// runs, so pruning passes it by; a server that died holds none.
/// </summary>
internal static class UnpackedRoots
{
    /// <summary>One unpacked root: where, how big, and whether a running server uses it.</summary>
    internal sealed record Entry(string Path, long SizeBytes, bool InUse);

    /// <summary>Marks <paramref name="root"/> used by this process until the result is disposed.</summary>
    public static IDisposable Use(string root) =>
        new FileStream(LockOf(root), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);

    public static IReadOnlyList<Entry> List(string cacheFolder) =>
        [.. Folders(cacheFolder).Select(root => new Entry(root, SizeOf(root), IsInUse(root)))];

    /// <summary>Removes every unpacked root no running server uses, and the fetched images once no root of them is left; what it removed.</summary>
    public static (int Roots, long Bytes) Prune(string cacheFolder)
    {
        int roots = 0;
        long bytes = 0;
        foreach (string root in Folders(cacheFolder))
        {
            using FileStream? exclusive = TryLockExclusively(root);
            if (exclusive is null)
            {
                continue; // a running server uses it
            }

            bytes += SizeOf(root);
            FolderRemoval.Delete(root);
            File.Delete(LockOf(root));
            roots++;
        }

        string layout = System.IO.Path.Combine(cacheFolder, "images", "layout");
        if (Directory.Exists(layout) && !Folders(cacheFolder).Any(root => root.StartsWith(System.IO.Path.Combine(cacheFolder, "images"), StringComparison.Ordinal)))
        {
            bytes += SizeOf(layout);
            FolderRemoval.Delete(layout);
        }

        return (roots, bytes);
    }

    private static IEnumerable<string> Folders(string cacheFolder) =>
        new[] { System.IO.Path.Combine(cacheFolder, "roots"), System.IO.Path.Combine(cacheFolder, "images", "roots") }
            .Where(Directory.Exists)
            .SelectMany(roots => Directory.EnumerateDirectories(roots))
            .Where(folder => !System.IO.Path.GetFileName(folder).StartsWith('.'));

    private static string LockOf(string root) => root + ".in-use";

    private static bool IsInUse(string root)
    {
        using FileStream? exclusive = TryLockExclusively(root);
        return exclusive is null;
    }

    private static FileStream? TryLockExclusively(string root)
    {
        try
        {
            return new FileStream(LockOf(root), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long SizeOf(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }).Sum(file => file.Length);
}
