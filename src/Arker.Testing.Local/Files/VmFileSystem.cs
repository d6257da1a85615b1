using System.Security.Cryptography;
using Arker.Testing.Local.Native;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Files;

/// <summary>
/// File access inside one VM's root, never on the host: every path is resolved with openat2(2)
/// and <c>RESOLVE_IN_ROOT</c>, so symbolic links are followed as the VM would follow them and can
/// never leave the VM; the opened object is then checked to lie in the area the API reaches
/// (<see cref="VmPath"/>). Writes go to a temporary name in the target directory and are renamed
/// into place, owned by the VM user. The calls are made through <see cref="FileCalls"/>: as root by
/// this process, which passes every permission check, as root of the VM would; without root, where
/// this process may not, by root of the server's user namespace (see <see cref="Isolation.NamespaceFileCalls"/>).
/// </summary>
internal sealed class VmFileSystem : IDisposable
{
    private const ulong Resolve = LibC.ResolveInRoot | LibC.ResolveNoMagicLinks;
    private readonly string _root;
    private readonly int _rootFd;
    private readonly FileOwner _owner;
    private readonly VmPath _area;
    private readonly FileCalls _calls;

    private VmFileSystem(string root, int rootFd, FileOwner owner, VmPath area, FileCalls calls)
    {
        _root = root;
        _rootFd = rootFd;
        _owner = owner;
        _area = area;
        _calls = calls;
    }

    /// <summary>
    /// Opens a VM's root, given where this process reaches it. Paths of descriptors are checked
    /// against the kernel's own name for that root, which is the mount point in the server's mount
    /// namespace (without root, not the path through the held root used to reach it, see <see cref="Isolation.HeldNamespaces"/>).
    /// Files and folders it makes are given to the VM's file owner; what it opens must lie in <paramref name="area"/>.
    /// </summary>
    public static VmFileSystem Open(IVmRoot vm, string mergedRoot, VmPath area)
    {
        int fd = LibC.openat(LibC.AtFdCwd, mergedRoot, LibC.OPath | LibC.ODirectory | LibC.OCloexec, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open the VM's root: {LibC.Describe(LibC.LastError)}");
        }

        string root = new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? mergedRoot;
        return new VmFileSystem(root, fd, vm.FileOwner, area, vm.FileCalls);
    }

    /// <summary>Opens a regular file for reading; returns the stream and the file's size.</summary>
    public (FileStream Stream, long Size) OpenRead(string[] segments, string path)
    {
        int fd = _calls.Openat2(_rootFd, Relative(segments), LibC.ORdOnly | LibC.OCloexec | 0x800 /* O_NONBLOCK */, 0, Resolve);
        if (fd < 0)
        {
            int errno = LibC.LastError;
            if (errno is LibC.ENoEnt or LibC.ENotDir)
            {
                RefuseWhatLeadsOutOfArea(segments, path);
                throw LocalArkerException.NotFound($"file not found: {path}", "file");
            }

            throw LocalArkerException.InvalidInput($"cannot open {path}: {LibC.Describe(errno)}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            EnsureInArea(fd, path);
            (int type, long size) = LibC.StatFd(fd);
            if (type != LibC.SIfReg)
            {
                throw LocalArkerException.InvalidInput($"{path} is not a regular file");
            }

            return (new FileStream(handle, FileAccess.Read, bufferSize: 0), size);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes a file atomically: <paramref name="writeContent"/> fills a temporary file, which then
    /// replaces <paramref name="segments"/>. Parent directories are created, owned by the VM user.
    /// </summary>
    public Task WriteAtomicallyAsync(string[] segments, string path, Func<Stream, Task> writeContent) =>
        PlaceAsync(segments, path, async (directory, temporary) =>
        {
            int fd = _calls.Openat2(directory, temporary, LibC.OWrOnly | LibC.OCreat | LibC.OExcl | LibC.ONoFollow | LibC.OCloexec, 0x1A4, Resolve);
            if (fd < 0)
            {
                throw LocalArkerException.InvalidInput($"cannot create {path}: {LibC.Describe(LibC.LastError)}");
            }

            _ = LibC.fchown(fd, _owner.UserId, _owner.GroupId);
            _ = LibC.fchmod(fd, 0x1A4);
            await using (var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0))
            {
                await writeContent(stream);
            }

            return true;
        });

    /// <summary>
    /// An unnamed file in the VM's filesystem, owned by the VM user, to be filled and later put in
    /// place by <see cref="TryLinkIntoPlaceAsync"/> without copying; null where the filesystem cannot
    /// make one (overlayfs before Linux 6.6).
    /// </summary>
    public SafeFileHandle? CreateAnonymousFile()
    {
        int fd = _calls.Openat2(_rootFd, "home/user", LibC.OTmpFile | LibC.ORdWr | LibC.OCloexec, 0x1A4, Resolve);
        if (fd < 0)
        {
            return null;
        }

        _ = LibC.fchown(fd, _owner.UserId, _owner.GroupId);
        _ = LibC.fchmod(fd, 0x1A4);
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Puts a file from <see cref="CreateAnonymousFile"/> at <paramref name="segments"/> by link and
    /// rename: atomic, no bytes copied. False when the file belongs to another mount of the VM (it
    /// was forked since) or cannot be linked; the caller then copies it.
    /// </summary>
    public Task<bool> TryLinkIntoPlaceAsync(string[] segments, string path, SafeFileHandle anonymous) =>
        PlaceAsync(segments, path, (directory, temporary) =>
            Task.FromResult(LibC.linkat((int)anonymous.DangerousGetHandle(), "", directory, temporary, LibC.AtEmptyPath) == 0));

    /// <summary>
    /// Creates <paramref name="segments"/>' parents, lets <paramref name="createTemporary"/> make the
    /// new file under a temporary name in the target directory, then renames it into place; a
    /// temporary left behind by a failure is removed. False when nothing was created.
    /// </summary>
    private async Task<bool> PlaceAsync(string[] segments, string path, Func<int, string, Task<bool>> createTemporary)
    {
        int directory = OpenDirectory(segments[..^1], path);
        if (ResolveSymbolicLink(directory, segments, path) is { } target)
        {
            _ = LibC.close(directory);
            return await PlaceAsync(target, path, createTemporary);
        }

        string temporary = $".arker-write-{Guid.NewGuid():N}";
        bool renamed = false;
        try
        {
            if (!await createTemporary(directory, temporary))
            {
                return false;
            }

            if (_calls.Renameat(directory, temporary, segments[^1]) != 0)
            {
                int errno = LibC.LastError;
                throw LocalArkerException.InvalidInput($"cannot write {path}: {LibC.Describe(errno)}");
            }

            renamed = true;
            return true;
        }
        finally
        {
            if (!renamed)
            {
                _ = _calls.Unlinkat(directory, temporary);
            }

            _ = LibC.close(directory);
        }
    }

    /// <summary>
    /// The regular files below a directory, recursively, without following symbolic links, each as
    /// its path relative to the directory; at most <paramref name="limit"/> of them. A directory that
    /// does not exist yet has none (the SDKs sync into a new directory by comparing with its
    /// empty manifest); a path that is not a directory is refused.
    /// </summary>
    public IReadOnlyList<string> ListFiles(string[] segments, string path, int limit)
    {
        int fd = _calls.Openat2(_rootFd, Relative(segments), LibC.ORdOnly | LibC.ODirectory | LibC.OCloexec, 0, Resolve);
        if (fd < 0)
        {
            int errno = LibC.LastError;
            if (errno == LibC.ENoEnt)
            {
                RefuseWhatLeadsOutOfArea(segments, path);
                return [];
            }

            throw LocalArkerException.InvalidInput($"cannot list {path}: {LibC.Describe(errno)}");
        }

        try
        {
            EnsureInArea(fd, path);
            string directory = $"/proc/self/fd/{fd}";
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
            return [.. new DirectoryInfo(directory).EnumerateFiles("*", options)
                .Select(file => Path.GetRelativePath(directory, file.FullName))
                .Order(StringComparer.Ordinal)
                .Take(limit)];
        }
        finally
        {
            _ = LibC.close(fd);
        }
    }

    /// <summary>A regular file's <c>st_mode</c> and SHA-256, read through the same checks as <see cref="OpenRead"/>.</summary>
    public async Task<(int Mode, long Size, byte[] Sha256)> HashAsync(string[] segments, string path, CancellationToken cancellationToken)
    {
        (FileStream stream, long size) = OpenRead(segments, path);
        await using (stream)
        {
            int mode = LibC.StatModeFd((int)stream.SafeFileHandle.DangerousGetHandle()).Mode;
            return (mode, size, await SHA256.HashDataAsync(stream, cancellationToken));
        }
    }

    public void Dispose() => LibC.close(_rootFd);

    /// <summary>
    /// If the file to write is a symbolic link, the segments of the file it leads to (writes follow
    /// links, as they would inside the VM); a link that leads outside home or nowhere is refused.
    /// </summary>
    private string[]? ResolveSymbolicLink(int directory, string[] segments, string path)
    {
        int link = _calls.Openat2(directory, segments[^1], LibC.OPath | LibC.ONoFollow | LibC.OCloexec, 0, Resolve);
        if (link < 0)
        {
            return null;
        }

        int type = LibC.StatFd(link).Type;
        _ = LibC.close(link);
        if (type != LibC.SIfLnk)
        {
            return null;
        }

        int target = _calls.Openat2(_rootFd, Relative(segments), LibC.OPath | LibC.OCloexec, 0, Resolve);
        if (target < 0)
        {
            throw LocalArkerException.InvalidInput($"{path} is a symbolic link to a file that does not exist");
        }

        try
        {
            EnsureInArea(target, path);
            string actual = new FileInfo($"/proc/self/fd/{target}").LinkTarget!;
            return actual[(_root + "/").Length..].Split('/');
        }
        finally
        {
            _ = LibC.close(target);
        }
    }

    private int OpenDirectory(string[] segments, string path)
    {
        int existing = Math.Min(_area.BaseSegments.Length, segments.Length); // the area's base is there already
        int fd = OpenVerifiedDirectory(segments[..existing], path);
        for (int i = existing; i < segments.Length; i++)
        {
            if (_calls.Mkdirat(fd, segments[i], 0x1ED) == 0)
            {
                int created = LibC.openat(fd, segments[i], LibC.ORdOnly | LibC.ODirectory | LibC.ONoFollow | LibC.OCloexec, 0);
                if (created >= 0)
                {
                    _ = LibC.fchown(created, _owner.UserId, _owner.GroupId);
                    _ = LibC.close(created);
                }
            }

            _ = LibC.close(fd);
            fd = OpenVerifiedDirectory(segments[..(i + 1)], path);
        }

        return fd;
    }

    private int OpenVerifiedDirectory(string[] segments, string path)
    {
        int fd = _calls.Openat2(_rootFd, Relative(segments), LibC.ORdOnly | LibC.ODirectory | LibC.OCloexec, 0, Resolve);
        if (fd < 0)
        {
            int errno = LibC.LastError;
            if (segments.Length > 0)
            {
                RefuseWhatLeadsOutOfArea(segments, path);
            }

            throw LocalArkerException.InvalidInput(errno == LibC.ENotDir
                ? $"cannot write {path}: a parent of it is not a directory"
                : $"cannot write {path}: {LibC.Describe(errno)}");
        }

        try
        {
            EnsureInArea(fd, path);
            return fd;
        }
        catch
        {
            _ = LibC.close(fd);
            throw;
        }
    }

    /// <summary>Checks where an open descriptor really is, so no link (or race) can point it elsewhere.</summary>
    private void EnsureInArea(int fd, string path)
    {
        string? actual = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        if (actual is null || !(actual == _root || actual.StartsWith(_root + "/", StringComparison.Ordinal)))
        {
            throw LocalArkerException.InvalidInput($"{path} resolves outside the VM, which the file API does not reach");
        }

        _area.EnsureAllowed(actual == _root ? "/" : actual[_root.Length..], path, resolved: true);
    }

    /// <summary>
    /// For a path that does not open: refuses it, saying why, when what it names lies outside the
    /// area after all: its deepest part that exists (a link such as <c>/bin</c> into <c>/usr</c>), or
    /// the symbolic link at the end of that part (such as one to <c>/proc/self/environ</c>), as the
    /// VM would follow it. Otherwise the caller says the file is not there.
    /// </summary>
    private void RefuseWhatLeadsOutOfArea(string[] segments, string path)
    {
        for (int existing = segments.Length - 1; existing >= _area.BaseSegments.Length; existing--)
        {
            int fd = _calls.Openat2(_rootFd, Relative(segments[..existing]), LibC.OPath | LibC.OCloexec, 0, Resolve);
            if (fd < 0)
            {
                continue;
            }

            try
            {
                EnsureInArea(fd, path);
                string directory = new FileInfo($"/proc/self/fd/{fd}").LinkTarget!;
                if (new FileInfo($"/proc/self/fd/{fd}/{segments[existing]}").LinkTarget is { } target)
                {
                    string inVm = target.StartsWith('/') ? target : (directory == _root ? "" : directory[_root.Length..]) + "/" + target;
                    _area.EnsureAllowed(Normalise(inVm), path, resolved: true);
                }
            }
            finally
            {
                _ = LibC.close(fd);
            }

            return;
        }
    }

    /// <summary>An absolute path with <c>.</c> and <c>..</c> applied, as the VM's root sees it (<c>..</c> stops at the root).</summary>
    private static string Normalise(string absolute)
    {
        var parts = new List<string>();
        foreach (string part in absolute.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return "/" + string.Join('/', parts);
    }

    /// <summary>Segments from the VM's root as a path relative to it (the root itself when there are none).</summary>
    private static string Relative(string[] segments) => segments.Length == 0 ? "." : string.Join('/', segments);
}
