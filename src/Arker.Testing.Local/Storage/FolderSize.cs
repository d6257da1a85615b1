namespace Arker.Testing.Local.Storage;

/// <summary>
/// How many bytes the files below a folder hold (links not followed). A folder another server is
/// removing meanwhile (an evicted cache entry, a pruned root) counts what is left of it: a file or
/// folder that vanishes during the walk is none of its size, never an error.
/// </summary>
internal static class FolderSize
{
    public static long Of(string folder)
    {
        long bytes = 0;
        try
        {
            foreach (FileInfo file in new DirectoryInfo(folder).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }))
            {
                try
                {
                    bytes += file.Length;
                }
                catch (FileNotFoundException)
                {
                    // Removed since it was listed.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // The folder, or one below it, was removed while it was walked.
        }

        return bytes;
    }
}
