namespace Arker.Testing.Local.Storage;

/// <summary>
/// A folder that appears whole or not at all: filled aside, in a <c>.tmp-…</c> folder beside it,
/// then published by one rename. A fill that fails leaves nothing; a start killed while filling
/// leaves a staging folder that a later publish removes once it is an hour old; of two processes
/// filling the same folder at once, the first rename wins and the other's copy is dropped.
/// </summary>
internal static class PublishedFolder
{
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    /// <summary><paramref name="target"/>, filled by <paramref name="fill"/> (given the empty staging folder) unless it exists already.</summary>
    public static string Ensure(string target, Action<string> fill)
    {
        if (Directory.Exists(target))
        {
            return target;
        }

        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        RemoveAbandoned(parent);
        string staging = Path.Combine(parent, $".tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            fill(staging);
            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                FolderRemoval.Delete(staging); // another process published the same folder first
            }

            return target;
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                FolderRemoval.Delete(staging);
            }

            throw;
        }
    }

    private static void RemoveAbandoned(string parent)
    {
        foreach (string staging in Directory.EnumerateDirectories(parent, ".tmp-*"))
        {
            if (TimeProvider.System.GetUtcNow().UtcDateTime - Directory.GetLastWriteTimeUtc(staging) > AbandonedAfter)
            {
                FolderRemoval.Delete(staging);
            }
        }
    }
}
