namespace Arker.Testing.Local.Isolation;

/// <summary>Who the VM user is: uid and gid inside every VM, and the ids they map to on the host.</summary>
internal static class SandboxIdentity
{
    /// <summary>The VM user's uid and gid as processes inside a VM see them.</summary>
    public const int VmUserId = 1000;
    public const int VmGroupId = 1000;

    /// <summary>
    /// The uid and gid the VM user has on the host, which the sandbox maps to 1000 inside. As root,
    /// one no account uses (not 1000, often the machine's first person), so a process that got out
    /// of its sandbox could not touch anybody's files or processes. Without root, the invoking
    /// user's own: the server must read and write VM files as itself. Files of VMs are owned by it.
    /// </summary>
    public static int HostUserId { get; } = Environment.IsPrivilegedProcess ? UnusedId : Native.LibC.getuid();

    /// <inheritdoc cref="HostUserId"/>
    public static int HostGroupId { get; } = Environment.IsPrivilegedProcess ? UnusedId : Native.LibC.getgid();

    internal const int UnusedId = 1_879_048_192;

    /// <summary>
    /// As root, a VM of its own root filesystem (an image or an archive) has the whole range of ids
    /// 0–65535 inside, root included, mapped to this many ids on the host from
    /// <see cref="VmIdRangeStart"/>: a range no account uses, placed so that the VM user (1000)
    /// is <see cref="HostUserId"/> as in every other VM. Its files are owned accordingly (see
    /// <see cref="Storage.OwnershipShift"/>). Host root (0) is never mapped.
    /// </summary>
    public const int VmIdRangeSize = 65_536;

    /// <inheritdoc cref="VmIdRangeSize"/>
    public const int VmIdRangeStart = UnusedId - VmUserId;
}
