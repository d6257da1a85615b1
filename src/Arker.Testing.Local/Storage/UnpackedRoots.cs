namespace Arker.Testing.Local.Storage;

/// <summary>
/// The root filesystems unpacked below the base cache's folder (archives in <c>roots/</c>, container
/// images in <c>images/roots/</c>, with the images' fetched blobs in <c>images/layout/</c>): listed,
/// and pruned. A server holds a shared lock on a root it uses (<see cref="Use"/>) for as long as it
/// runs, so pruning passes it by; a server that died holds none.
/// </summary>
internal static class UnpackedRoots
{
    /// <summary>A root filesystem unpacked for this process, and the lock that keeps it from being pruned while it is used.</summary>
    internal sealed record Root(string Path, IDisposable InUse);

    /// <summary>One unpacked root: where, how big, and whether a running server uses it.</summary>
    internal sealed record Entry(string Path, long SizeBytes, bool InUse);

    /// <summary>
    /// Marks the root that is, or is about to be, unpacked at <paramref name="root"/> used by this
    /// process until the result is disposed: taken before the root is looked for or made, so a
    /// prune (which holds the lock exclusively while it removes a root) is waited for, never raced.
    /// The lock file stays when its root is removed: a new one in its place could be locked by two
    /// processes at once.
    /// </summary>
    private static FileStream Use(string root)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(LockOf(root), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (IOException) when (attempt < 600)
            {
                Thread.Sleep(50); // a prune is removing it: then it is made again
            }
        }
    }

    /// <summary>
    /// The root published at <paramref name="target"/> (its <paramref name="inside"/> folder), made by
    /// <paramref name="fill"/> if it is not there (see <see cref="PublishedFolder"/>), and held as used:
    /// the lock is taken first.
    /// </summary>
    public static Root Ensure(string target, string inside, Action<string> fill)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        FileStream inUse = Use(target);
        try
        {
            return new Root(System.IO.Path.Combine(PublishedFolder.Ensure(target, fill), inside), inUse);
        }
        catch
        {
            inUse.Dispose();
            throw;
        }
    }

    public static IReadOnlyList<Entry> List(string cacheFolder) =>
        [.. Folders(cacheFolder).Select(root => new Entry(root, FolderSize.Of(root), IsInUse(root)))];

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

            bytes += FolderSize.Of(root);
            FolderRemoval.Delete(root);
            roots++;
        }

        return (roots, bytes + ContainerImage.RemoveFetchedIfUnused(System.IO.Path.Combine(cacheFolder, "images")));
    }

    private static IEnumerable<string> Folders(string cacheFolder) =>
        new[] { System.IO.Path.Combine(cacheFolder, "roots"), System.IO.Path.Combine(cacheFolder, "images", "roots") }
            .Where(Directory.Exists)
            .SelectMany(roots => Directory.EnumerateDirectories(roots))
            .Where(folder => !System.IO.Path.GetFileName(folder).StartsWith('.'));

    /// <summary>The lock file of a root (<c>roots/NAME</c> → <c>.in-use/NAME</c> beside <c>roots/</c>), made when first used and kept.</summary>
    private static string LockOf(string root)
    {
        string locks = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(root)!)!, ".in-use");
        Directory.CreateDirectory(locks);
        return System.IO.Path.Combine(locks, System.IO.Path.GetFileName(root));
    }

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
}
