namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// Removes directory trees off the request path. <see cref="DrainAsync"/> waits for every removal,
/// so a server that stops leaves nothing behind.
/// </summary>
internal sealed class BackgroundDeleter
{
    private readonly Lock _gate = new();
    private readonly List<Task> _pending = [];

    public void Delete(string path)
    {
        Task task = Task.Run(() => DeleteNow(path));
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
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(20);
            }
        }
    }
}
