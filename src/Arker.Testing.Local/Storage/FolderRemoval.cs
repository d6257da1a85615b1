namespace Arker.Testing.Local.Storage;

/// <summary>
/// Removes a VM's folders (layers, disks, instance folders, cache entries) however the VM or
/// overlayfs left their modes and owners, trying a few times where the kernel still holds a file briefly.
/// </summary>
internal static class FolderRemoval
{
    /// <summary>Removes a folder and everything in it, now; a folder gone already is fine.</summary>
    public static void Delete(string path)
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (UnauthorizedAccessException) when (HasOthersFiles)
            {
                break;
            }
            catch (UnauthorizedAccessException)
            {
                AllowDeletion(path);
            }
            catch (IOException)
            {
                Thread.Sleep(20);
            }
        }

        if (HasOthersFiles && Directory.Exists(path))
        {
            // Files a VM's root or its other users made belong to the invoking user's subordinate
            // ids, which only root of the server's user namespace may delete.
            HostTool.RunInServerNamespace("rm", ["-rf", "--one-file-system", "--", path], errors => $"{path} could not be removed: {errors}", "apt-get install coreutils");
        }
    }

    /// <summary>Without root, whether VM files may belong to the invoking user's subordinate ids.</summary>
    private static bool HasOthersFiles => !Environment.IsPrivilegedProcess && Isolation.SubordinateIds.Current is not null;

    /// <summary>
    /// Gives the owner full access to every folder of a tree: overlayfs leaves a <c>work</c> folder of
    /// mode 000, and a VM may lock its own folders. Root deletes them regardless; without root the
    /// server, which owns them, must first allow itself in. Symbolic links are not followed.
    /// </summary>
    private static void AllowDeletion(string path)
    {
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        var folders = new Stack<string>([path]);
        while (folders.TryPop(out string? folder))
        {
            try
            {
                File.SetUnixFileMode(folder, File.GetUnixFileMode(folder) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                foreach (string inner in Directory.EnumerateDirectories(folder, "*", options))
                {
                    folders.Push(inner);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not ours, or gone: the next attempt reports what is left.
            }
        }
    }
}
