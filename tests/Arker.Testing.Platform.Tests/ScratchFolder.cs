namespace Arker.Testing.Platform.Tests;

/// <summary>
/// A test's own folder for a test application's files: the embedded server's data root (which the
/// VM user must be able to enter), results, signal files. Removed afterwards, after whatever a
/// dead server left in it, should the test have failed.
/// </summary>
internal sealed class ScratchFolder : IAsyncDisposable
{
    public ScratchFolder(string prefix)
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        System.IO.File.SetUnixFileMode(Path, (UnixFileMode)0b111_101_101);
    }

    public string Path { get; }

    /// <summary>Where the test application's embedded server keeps its VMs (ARKER_TESTING_LOCAL_DATA_ROOT).</summary>
    public string DataRoot => File("data");

    /// <summary>A path in the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public async ValueTask DisposeAsync()
    {
        await Arker.Testing.Local.LocalArkerServer.CleanUpAfterDeadServersAsync(DataRoot);
        Directory.Delete(Path, recursive: true);
    }
}
