namespace Arker.Testing.Local.Storage;

/// <summary>
/// Removes a VM's folders (layers, disks, instance folders, cache entries) however the VM or
/// overlayfs left their modes and owners, trying a few times where the kernel still holds a file briefly.
/// </summary>
internal static class FolderRemoval
{
    /// <summary>
    /// Removes a folder and everything in it, now; a folder gone already is fine. What this process
    /// may not remove (without root, files of the subordinate ids) is removed by
    /// <paramref name="asNamespaceRoot"/> (the server's namespace helper, see
    /// <see cref="Isolation.MountNamespace.RemoveAsNamespaceRoot"/>), or else by <c>rm</c> in a user namespace of the same ids.
    /// </summary>
    public static void Delete(string path, Func<string, int>? asNamespaceRoot = null)
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
            // ids, which only root of the server's user namespace may delete: the server's helper,
            // or rm in a user namespace of the same ids where there is none (or it has exited).
            switch (RemoveAsNamespaceRoot(path, asNamespaceRoot))
            {
                case null:
                    HostTool.RunInServerNamespace("rm", ["-rf", "--one-file-system", "--", path], errors => $"{path} could not be removed: {errors}", "apt-get install coreutils");
                    break;
                case int errno when errno != 0:
                    throw new SandboxUnavailableException($"{path} could not be removed: {Native.LibC.Describe(errno)}");
            }
        }
    }

    /// <summary>0 or the errno of <paramref name="asNamespaceRoot"/>'s removal; null where it is not there to ask.</summary>
    private static int? RemoveAsNamespaceRoot(string path, Func<string, int>? asNamespaceRoot)
    {
        try
        {
            return asNamespaceRoot?.Invoke(path);
        }
        catch (IOException)
        {
            return null; // the helper has exited
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
