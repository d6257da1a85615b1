using Arker.Testing.Local.Isolation;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// The bottom layer every VM stands on. By default it is generated: an empty <c>/home/user</c>, a
/// minimal <c>/etc</c>, and mount points for the host's <c>/usr</c>, which the sandbox binds
/// read-only (never the host's <c>/</c>). With a root filesystem directory, that directory is the
/// bottom layer and a small generated layer above it adds the VM user's home.
/// </summary>
internal sealed class BaseImage
{
    private static readonly string[] TopLevelLinks = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

    private BaseImage(IReadOnlyList<string> layers, IReadOnlyList<string> hostReadOnlyBinds, string source)
    {
        Layers = layers;
        HostReadOnlyBinds = hostReadOnlyBinds;
        Source = source;
    }

    /// <summary>What the image was made from: <c>host</c>, or the root filesystem's directory (an archive's is named by its hash).</summary>
    public string Source { get; }

    /// <summary>The read-only layers of the base image, topmost first.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>Host directories the sandbox binds read-only at the same place (e.g. <c>/usr</c>).</summary>
    public IReadOnlyList<string> HostReadOnlyBinds { get; }

    /// <summary>
    /// Makes the base image in <paramref name="directory"/>: over the host's userland, or over
    /// <paramref name="rootFilesystem"/>: a directory, a tar archive of one, or a container image
    /// (fetched and unpacked once per machine below <paramref name="cacheFolder"/>).
    /// </summary>
    public static BaseImage Create(string directory, string? rootFilesystem, string cacheFolder)
    {
        Directory.CreateDirectory(directory);
        if (rootFilesystem is not null)
        {
            return OverRootFilesystem(directory, rootFilesystem, cacheFolder);
        }

        foreach ((string folder, int mode) in GeneratedFolders)
        {
            MakeDirectory(directory, folder, mode);
        }

        MakeDirectory(directory, "home/user", 0x1ED, ownedByVmUser: true);
        var binds = new List<string> { "/usr" };
        MakeDirectory(directory, "usr", 0x1ED);
        foreach (string name in TopLevelLinks)
        {
            var host = new FileInfo("/" + name);
            if (host.LinkTarget is { } target)
            {
                File.CreateSymbolicLink(Path.Combine(directory, name), target);
            }
            else if (Directory.Exists("/" + name))
            {
                MakeDirectory(directory, name, 0x1ED);
                binds.Add("/" + name);
            }
        }

        WriteEtc(Path.Combine(directory, "etc"));
        return new BaseImage([directory], binds, "host");
    }

    /// <summary>The folders the generated layer adds (or, over a root filesystem, covers with the same owner and mode): home, temporary folders, mount points.</summary>
    private static readonly (string Folder, int Mode)[] GeneratedFolders =
        [("home", 0x1ED), ("tmp", 0x3FF), ("var", 0x1ED), ("var/tmp", 0x3FF), ("run", 0x1ED), ("proc", 0x1ED), ("dev", 0x1ED)];

    /// <summary>
    /// The base over a root filesystem (a directory, an archive or a container image): that root,
    /// and above it a small layer with the VM user (uid 1000, <c>/home/user</c>, passwordless sudo
    /// where the image has sudo) and the host name. As root, an archive's or an image's ids are
    /// moved into the VMs' range when unpacked, so the VM has root inside (see
    /// <see cref="SandboxIdentity.VmIdRangeStart"/>); a directory is used as it is.
    /// </summary>
    private static BaseImage OverRootFilesystem(string directory, string rootFilesystem, string cacheFolder)
    {
        UnpackedRoots.Root? unpacked = ContainerImage.IsReference(rootFilesystem) ? ContainerImage.Unpack(rootFilesystem, Path.Combine(cacheFolder, "images"))
            : RootFilesystemArchive.IsArchive(rootFilesystem) ? RootFilesystemArchive.Unpack(rootFilesystem, Path.Combine(cacheFolder, "roots"))
            : null;
        try
        {
            return OverRoot(directory, unpacked?.Path ?? rootFilesystem, unpacked);
        }
        catch
        {
            unpacked?.InUse.Dispose();
            throw;
        }
    }

    private static BaseImage OverRoot(string directory, string rootFilesystem, UnpackedRoots.Root? unpacked)
    {
        if (unpacked is null && !Directory.Exists(rootFilesystem))
        {
            throw new SandboxUnavailableException($"The root filesystem '{rootFilesystem}' does not exist. Give a directory that holds a Linux root (e.g. made with 'debootstrap --variant=minbase bookworm DIR'), or a tar archive of one (e.g. 'mmdebstrap --variant=minbase bookworm root.tar').");
        }

        if (!RootPath.IsFile(rootFilesystem, "bin/bash") && !RootPath.IsFile(rootFilesystem, "usr/bin/bash"))
        {
            throw new SandboxUnavailableException($"The root filesystem '{rootFilesystem}' has no bash: VMs run their commands with bash, so install it in that root.");
        }

        string root = Path.GetFullPath(rootFilesystem);
        bool rootInside = unpacked is not null && VmIdMap.Current is not null;
        var owners = new LayerOwners(rootInside ? VmIdMap.Current : null);
        foreach ((string folder, int mode) in GeneratedFolders.Append(("etc", 0x1ED)))
        {
            MakeDirectoryLike(root, directory, folder, mode, owners);
        }

        MakeDirectory(directory, "home/user", 0x1ED, ownedByVmUser: true);
        VmUserAccount.Write(root, directory, owners, rootInside);
        if (!rootInside)
        {
            VmUserAccount.WriteNoRootSudo(root, directory, owners, unpacked is null
                ? "its root filesystem is a directory, whose files keep this machine's owners. For sudo, give the server a tar archive of it or an image."
                : $"the local Arker server runs without root and has one id for VMs. For sudo, {SubordinateIds.Missing}, then restart the server; or run it as root.");
        }

        owners.Apply();
        return new BaseImage([directory, root], [], root) { RootInside = rootInside, InUse = unpacked?.InUse };
    }

    /// <summary>The shared lock on the unpacked root this base stands on (see <see cref="UnpackedRoots"/>), held while the server runs; none for a directory given as it is.</summary>
    public IDisposable? InUse { get; private init; }

    /// <summary>Whether VMs of this base have root inside: sudo, and every id 0–65535 theirs.</summary>
    public bool RootInside { get; private init; }

    /// <summary>A folder of the generated layer with the owner and mode the root filesystem gives it (the layer's hide the root's), or <paramref name="mode"/> and root's.</summary>
    private static void MakeDirectoryLike(string root, string directory, string relative, int mode, LayerOwners owners)
    {
        string path = Path.Combine(directory, relative);
        Directory.CreateDirectory(path);
        if (RootPath.IsFolder(root, relative))
        {
            owners.CopyFrom(RootPath.Existing(root, relative)!, path);
        }
        else
        {
            owners.SetToVmRoot(path, mode);
        }
    }

    private static void WriteEtc(string etc)
    {
        Directory.CreateDirectory(etc);
        File.WriteAllText(Path.Combine(etc, "passwd"),
            "root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:Arker VM user:/home/user:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(Path.Combine(etc, "group"), "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n");
        File.WriteAllText(Path.Combine(etc, "hostname"), "arker\n");
        File.WriteAllText(Path.Combine(etc, "hosts"), "127.0.0.1 localhost arker\n::1 localhost ip6-localhost ip6-loopback\n");
        File.WriteAllText(Path.Combine(etc, "nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
        File.WriteAllText(Path.Combine(etc, "resolv.conf"), "");
        File.WriteAllText(Path.Combine(etc, "shells"), "/bin/sh\n/bin/bash\n/usr/bin/bash\n");

        foreach (string file in new[] { "ld.so.cache", "ld.so.conf", "os-release", "debian_version", "lsb-release", "mime.types" })
        {
            CopyIfPresent("/etc/" + file, Path.Combine(etc, file));
        }

        CopyTree("/etc/ld.so.conf.d", Path.Combine(etc, "ld.so.conf.d"));
        CopyTree("/etc/alternatives", Path.Combine(etc, "alternatives"));
        CopyTree("/etc/ssl", Path.Combine(etc, "ssl"));
        if (new FileInfo("/etc/localtime").LinkTarget is { } zone)
        {
            File.CreateSymbolicLink(Path.Combine(etc, "localtime"), zone);
        }
    }

    private static void CopyIfPresent(string source, string destination)
    {
        var info = new FileInfo(source);
        if (info.LinkTarget is { } target)
        {
            File.CreateSymbolicLink(destination, target);
        }
        else if (info.Exists)
        {
            File.Copy(source, destination);
        }
    }

    /// <summary>Copies a small tree of configuration, keeping symbolic links as links.</summary>
    private static void CopyTree(string source, string destination)
    {
        if (!Directory.Exists(source))
        {
            return;
        }

        Directory.CreateDirectory(destination);
        foreach (string entry in Directory.EnumerateFileSystemEntries(source))
        {
            string target = Path.Combine(destination, Path.GetFileName(entry));
            var info = new FileInfo(entry);
            if (info.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else if (Directory.Exists(entry))
            {
                try
                {
                    CopyTree(entry, target);
                }
                catch (UnauthorizedAccessException)
                {
                    // A folder only root may read (/etc/ssl/private) stays on the host.
                }
            }
            else
            {
                try
                {
                    File.Copy(entry, target);
                }
                catch (UnauthorizedAccessException)
                {
                    // Private keys and the like stay on the host.
                }
            }
        }
    }

    private static void MakeDirectory(string root, string relative, int mode, bool ownedByVmUser = false)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)mode);
        if (ownedByVmUser)
        {
            Chown(path, SandboxIdentity.HostUserId, SandboxIdentity.HostGroupId);
        }
    }

    internal static void Chown(string path, int uid, int gid)
    {
        int fd = Native.LibC.openat(Native.LibC.AtFdCwd, path, Native.LibC.ORdOnly | Native.LibC.OCloexec, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open {path} to change its owner: {Native.LibC.Describe(Native.LibC.LastError)}");
        }

        try
        {
            _ = Native.LibC.fchown(fd, uid, gid);
        }
        finally
        {
            _ = Native.LibC.close(fd);
        }
    }
}
