using System.Globalization;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// The ids of a VM with root inside (a VM of an image or an archive), and where they are outside:
/// every id 0–65535 of the VM, each to an id of the namespace the server's tools and sandboxes
/// start in. One map for users and groups alike.
/// <list type="bullet">
/// <item>As root, that namespace is this machine's: the VM's ids are a range no account uses, from
/// <see cref="SandboxIdentity.VmIdRangeStart"/>, placed so that the VM user is
/// <see cref="SandboxIdentity.HostUserId"/>.</item>
/// <item>Without root, it is the server's user namespace (see <see cref="SubordinateIds"/>), whose
/// root (0) is the invoking user and 1–65536 the user's subordinate ids: the VM user (1000) is
/// 0 there, so the user owns the VM user's files as in every other VM; the VM's 0–999 are 1–1000,
/// and the VM's 1001–65535 keep their numbers.</item>
/// </list>
/// Without root and without subordinate ids there is none (<see cref="Current"/> is null): VMs of
/// an image run as the VM user only, owning every file.
/// </summary>
internal sealed class VmIdMap
{
    private VmIdMap(IReadOnlyList<(int Inside, int Outside, int Count)> ranges, SubordinateIds? subordinate, string folderSuffix)
    {
        Ranges = ranges;
        Subordinate = subordinate;
        FolderSuffix = folderSuffix;
    }

    /// <summary>This server's: as root, or without root with subordinate ids; otherwise null.</summary>
    public static VmIdMap? Current { get; } = Environment.IsPrivilegedProcess ? OfRoot()
        : SubordinateIds.Current is { } ids ? OfSubordinateIds(ids)
        : null;

    internal static VmIdMap OfRoot() =>
        new([(0, SandboxIdentity.VmIdRangeStart, SandboxIdentity.VmIdRangeSize)], null, $"-ids{SandboxIdentity.VmIdRangeStart}");

    internal static VmIdMap OfSubordinateIds(SubordinateIds ids) =>
        new([(0, 1, SandboxIdentity.VmUserId), (SandboxIdentity.VmUserId, 0, 1), (SandboxIdentity.VmUserId + 1, SandboxIdentity.VmUserId + 1, SandboxIdentity.VmIdRangeSize - SandboxIdentity.VmUserId - 1)],
            ids, $"-subids{ids.FirstUserId}");

    /// <summary>The ranges: a VM's ids from <c>Inside</c>, <c>Count</c> of them, are the outer namespace's from <c>Outside</c>.</summary>
    public IReadOnlyList<(int Inside, int Outside, int Count)> Ranges { get; }

    /// <summary>Without root, the subordinate ids behind the server's namespace; as root, null.</summary>
    public SubordinateIds? Subordinate { get; }

    /// <summary>The VM's root (uid and gid 0) as this machine sees it.</summary>
    public (int Uid, int Gid) VmRootOnHost => Subordinate is { } ids ? (ids.FirstUserId, ids.FirstGroupId) : (Outside(0), Outside(0));

    /// <summary>
    /// An owner as this machine sees it (a file's <c>stat</c>) in the outer namespace, where the
    /// server's tools change owners: as root the same; without root the invoking user is 0 there
    /// and the subordinate ids 1–65536.
    /// </summary>
    public (int Uid, int Gid) InOuterNamespace(int hostUid, int hostGid) => Subordinate is { } ids
        ? (OfNamespace(hostUid, SandboxIdentity.HostUserId, ids.FirstUserId), OfNamespace(hostGid, SandboxIdentity.HostGroupId, ids.FirstGroupId))
        : (hostUid, hostGid);

    private static int OfNamespace(int host, int self, int firstSubordinate) =>
        host == self ? 0
        : host >= firstSubordinate && host - firstSubordinate < SubordinateIds.Count ? host - firstSubordinate + 1
        : throw new ArgumentOutOfRangeException(nameof(host), host.ToString(CultureInfo.InvariantCulture), "an id outside the server's user namespace");

    /// <summary>What the name of a root filesystem unpacked with this map ends with, so a root of other owners is never reused.</summary>
    public string FolderSuffix { get; }

    /// <summary>The map as <c>/proc/&lt;pid&gt;/uid_map</c> and <c>gid_map</c> take it, one range per line (comma-separated here, for a command line).</summary>
    public string ProcMap => string.Join(',', Ranges.Select(r => FormattableString.Invariant($"{r.Inside} {r.Outside} {r.Count}")));

    /// <summary>The map as umoci's <c>--uid-map</c> and <c>--gid-map</c> take it (<c>inside:outside:count</c>).</summary>
    public IEnumerable<string> UmociOptions =>
        Ranges.SelectMany(r => (string[])["--uid-map", FormattableString.Invariant($"{r.Inside}:{r.Outside}:{r.Count}"), "--gid-map", FormattableString.Invariant($"{r.Inside}:{r.Outside}:{r.Count}")]);

    /// <summary>The VM's id <paramref name="inside"/> in the outer namespace.</summary>
    public int Outside(int inside)
    {
        foreach ((int first, int outside, int count) in Ranges)
        {
            if (inside >= first && inside - first < count)
            {
                return outside + (inside - first);
            }
        }

        throw new ArgumentOutOfRangeException(nameof(inside), inside.ToString(CultureInfo.InvariantCulture), "not an id of a VM");
    }
}
