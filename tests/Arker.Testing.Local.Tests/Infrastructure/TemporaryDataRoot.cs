using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>
/// A data root of its own for a test's server; removed afterwards (it must be empty by then). As
/// root the server mounts a tmpfs on its instance folder; without root it cannot, so a rootless
/// test's data root is on <c>/dev/shm</c>, where the server keeps memory storage by default.
/// </summary>
public sealed class TemporaryDataRoot : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(
        ServerMounts.Rootless && Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath(),
        "arker-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(Path) && Directory.EnumerateFileSystemEntries(Path).Any())
        {
            return; // a test found leftovers: keep them to look at
        }

        if (Directory.Exists(Path))
        {
            Directory.Delete(Path);
        }
    }
}
