namespace Arker.Testing.Local.Storage;

/// <summary>
/// Clean-up work kept off the request path: removing directory trees, and releasing detached
/// mounts (whose teardown evicts every cached inode, which costs time in proportion to the files a
/// VM touched). <see cref="DrainAsync"/> waits for all of it, so a server that stops leaves nothing behind.
/// </summary>
/// <param name="asNamespaceRoot">Removes what the server may not (see <see cref="FolderRemoval.Delete"/>).</param>
internal sealed class BackgroundCleanup(Func<string, int>? asNamespaceRoot = null)
{
    private readonly Lock _gate = new();
    private readonly List<Task> _pending = [];

    public void Delete(string path) => Run(() => FolderRemoval.Delete(path, asNamespaceRoot));

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
}
