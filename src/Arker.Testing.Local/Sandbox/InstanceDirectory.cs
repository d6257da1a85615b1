using System.Security.Cryptography;

using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Limits;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// The folder of one running server instance, under a shared data root, held by an exclusive lock
/// on its <c>.lock</c> file for as long as the instance lives. At start-up, every other instance
/// folder whose lock is free belonged to a server that died: its mounts, cgroups and files go.
/// </summary>
internal sealed class InstanceDirectory : IDisposable
{
    private const string LockFileName = ".lock";
    private const string CgroupPrefix = "arker-local-";

    /// <summary>The folder of an instance that holds one folder per VM.</summary>
    public const string VmsFolder = "v";
    private readonly FileStream _lock;
    private readonly Mounts _mounts;

    private InstanceDirectory(string path, string id, FileStream lockFile, Mounts mounts)
    {
        Path = path;
        Id = id;
        _lock = lockFile;
        _mounts = mounts;
    }

    public string Path { get; }

    public string Id { get; }

    /// <summary>The name of this instance's parent cgroup in every hierarchy.</summary>
    public string CgroupGroup => CgroupPrefix + Id;

    /// <summary>
    /// Creates the folder of a new instance. Its tree is a private mount (a tmpfs for
    /// <see cref="VmStorage.Memory"/>, else a bind of itself), so the VM mounts below it never
    /// propagate into other mount namespaces.
    /// </summary>
    public static InstanceDirectory Create(string root, VmStorage storage, Mounts mounts)
    {
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)0x1ED);
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        string path = System.IO.Path.Combine(root, id);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
        mounts.MountPrivate(path, storage == VmStorage.Memory);
        var lockFile = new FileStream(System.IO.Path.Combine(path, LockFileName), FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        return new InstanceDirectory(path, id, lockFile, mounts);
    }

    /// <summary>
    /// Removes what dead instances left under <paramref name="root"/>; returns how many instances and
    /// how many of their VMs. A rootless instance's mounts died with its namespace: only its
    /// folders are left.
    /// </summary>
    public static async Task<(int Instances, int Vms)> CleanUpDeadInstancesAsync(string root, CgroupHierarchy cgroups, Mounts mounts, string? ownPath)
    {
        int cleaned = 0;
        int vms = 0;
        if (!Directory.Exists(root))
        {
            return (0, 0);
        }

        foreach (string directory in Directory.EnumerateDirectories(root))
        {
            if (directory == ownPath || !IsDead(directory))
            {
                continue;
            }

            string vmsDirectory = System.IO.Path.Combine(directory, VmsFolder);
            vms += Directory.Exists(vmsDirectory) ? Directory.EnumerateDirectories(vmsDirectory).Count() : 0;

            string id = System.IO.Path.GetFileName(directory);
            foreach (string cgroupRoot in cgroups.Roots())
            {
                await VmCgroup.KillAndRemoveAsync(System.IO.Path.Combine(cgroupRoot, CgroupPrefix + id));
            }

            foreach (string mountPoint in mounts.MountPointsUnder(directory))
            {
                mounts.Unmount(mountPoint, detach: true);
            }

            if (mounts.MountPointsUnder(directory).Count == 0)
            {
                // Never delete recursively through a mount that refused to go.
                Storage.FolderRemoval.Delete(directory);
            }

            cleaned++;
        }

        return (cleaned, vms);
    }

    private static bool IsDead(string directory)
    {
        string lockPath = System.IO.Path.Combine(directory, LockFileName);
        if (!File.Exists(lockPath))
        {
            // A folder without a lock is either being created this instant or was never finished.
            return TimeProvider.System.GetUtcNow().UtcDateTime - Directory.GetCreationTimeUtc(directory) > TimeSpan.FromMinutes(1);
        }

        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _lock.Dispose();
        if (_mounts.MountPointsUnder(Path).Count == 0)
        {
            Storage.FolderRemoval.Delete(Path);
        }
    }
}
