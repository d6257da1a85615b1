namespace Arker.Testing.Local.Files;

/// <summary>
/// A VM as the file operations see it: its id, and its whole root folder, held in place (no fork
/// freezes it, no delete removes it) while an operation runs on it.
/// </summary>
internal interface IVmRoot
{
    string Id { get; }

    /// <summary>Who owns the VM's files on the host: what the file operations give each file and folder they make.</summary>
    FileOwner FileOwner { get; }

    /// <summary>The system calls its file operations make (see <see cref="Native.FileCalls"/>).</summary>
    Native.FileCalls FileCalls { get; }

    /// <summary>Folders of this machine the VM sees read-only (none for a VM from an image): not the VM's files, so the file API refuses them.</summary>
    IReadOnlyList<string> HostReadOnlyFolders { get; }

    /// <summary>Runs <paramref name="operation"/> on the VM's merged root folder, as this process sees it.</summary>
    Task<T> WithRootAsync<T>(Func<string, Task<T>> operation, CancellationToken cancellationToken);
}

/// <summary>A host user and group, as files are owned.</summary>
internal readonly record struct FileOwner(int UserId, int GroupId);
