namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// Clean-up work kept off the request path: removing directory trees, and releasing detached
/// mounts (whose teardown evicts every cached inode, which costs time in proportion to the files a
/// VM touched). <see cref="DrainAsync"/> waits for all of it, so a server that stops leaves nothing behind.
/// </summary>
internal sealed class BackgroundCleanup
{
    private readonly Lock _gate = new();
    private readonly List<Task> _pending = [];

    public void Delete(string path) => Run(() => DeleteNow(path));

    /// <summary>Runs asynchronous clean-up (such as reaping a killed process) in the background.</summary>
    public void Run(Func<Task> work)
    {
        Task task = Task.Run(work);
        Track(task);
    }

    /// <summary>Closes a descriptor that pins a detached mount; the mount is torn down on a pool thread.</summary>
    public void ReleaseMount(int pinDescriptor) => Run(() => Native.LibC.close(pinDescriptor));

    private void Run(Action work) => Track(Task.Run(work));

    private void Track(Task task)
    {
        lock (_gate)
        {
            _pending.RemoveAll(t => t.IsCompleted);
            _pending.Add(task);
        }
    }

    public async Task DrainAsync()
    {
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _pending];
            _pending.Clear();
        }

        await Task.WhenAll(pending);
    }

    public static void DeleteNow(string path)
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
            catch (UnauthorizedAccessException)
            {
                AllowDeletion(path);
            }
            catch (IOException)
            {
                Thread.Sleep(20);
            }
        }
    }

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
