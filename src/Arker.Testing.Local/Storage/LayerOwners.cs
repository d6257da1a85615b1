using System.Globalization;
using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// The owners of the files of a generated layer (the VM user's account over a root filesystem):
/// the image's owner of what a file covers, or the VM's root. As root they are set at once; without
/// root, files of the VM's other ids (its root's among them) belong to subordinate ids, which only
/// root of the server's user namespace may give, so they are set there together by
/// <see cref="Apply"/>, modes after owners (a change of owner clears set-id bits).
/// </summary>
internal sealed class LayerOwners(VmIdMap? map)
{
    private readonly List<(string Path, int Uid, int Gid, int Mode)> _deferred = [];

    /// <summary>The VM's root as this machine sees it: the map's, or, without root inside, this machine's root.</summary>
    public (int Uid, int Gid) VmRoot { get; } = map?.VmRootOnHost ?? (0, 0);

    /// <summary>Gives <paramref name="path"/> (just written, no link) the owner <paramref name="uid"/>:<paramref name="gid"/> as this machine sees it, and <paramref name="mode"/>.</summary>
    public void Set(string path, int uid, int gid, int mode)
    {
        File.SetUnixFileMode(path, (UnixFileMode)(mode & 0xFFF));
        if (map?.Subordinate is not null && (uid, gid) != (SandboxIdentity.HostUserId, SandboxIdentity.HostGroupId))
        {
            _deferred.Add((path, uid, gid, mode & 0xFFF));
            return;
        }

        BaseImage.Chown(path, uid, gid);
        if ((mode & 0xC00) != 0)
        {
            File.SetUnixFileMode(path, (UnixFileMode)(mode & 0xFFF)); // set-id bits, cleared by the change of owner
        }
    }

    /// <summary>Gives <paramref name="path"/> the VM root's ownership and <paramref name="mode"/>.</summary>
    public void SetToVmRoot(string path, int mode) => Set(path, VmRoot.Uid, VmRoot.Gid, mode);

    /// <summary>Gives <paramref name="to"/> the owner and mode of <paramref name="from"/> (a file of the root filesystem).</summary>
    public void CopyFrom(string from, string to)
    {
        (int uid, int gid, int mode) = LibC.StatOwner(from);
        Set(to, uid, gid, mode);
    }

    /// <summary>
    /// The lines of a file of the root filesystem, which, without root, only the VM's root may read
    /// (<c>/etc/shadow</c>): then read as root of the server's user namespace.
    /// </summary>
    public string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (UnauthorizedAccessException) when (map?.Subordinate is not null)
        {
            return HostTool.RunInServerNamespace("cat", ["--", path], errors => $"{path} could not be read: {errors}", "apt-get install coreutils")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    /// <summary>Sets the owners that were left for root of the server's user namespace.</summary>
    public void Apply()
    {
        if (_deferred.Count == 0)
        {
            return;
        }

        var arguments = new List<string> { "-e", "while (@ARGV) { my ($u, $g, $m, $p) = splice @ARGV, 0, 4; chown($u, $g, $p) && chmod($m, $p) or die \"$p: $!\\n\"; }" };
        foreach ((string path, int uid, int gid, int mode) in _deferred)
        {
            (int innerUid, int innerGid) = map!.InOuterNamespace(uid, gid);
            arguments.AddRange([innerUid.ToString(CultureInfo.InvariantCulture), innerGid.ToString(CultureInfo.InvariantCulture), mode.ToString(CultureInfo.InvariantCulture), path]);
        }

        HostTool.RunInServerNamespace("perl", [.. arguments], errors => $"The VM user's files over the root filesystem could not be given their owners: {errors}", "apt-get install perl-base");
        _deferred.Clear();
    }
}
