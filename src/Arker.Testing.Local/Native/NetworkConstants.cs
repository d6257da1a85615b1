namespace Arker.Testing.Local.Native;

/// <summary>
/// The Linux constants of VM networks, in one table: socket levels and options, control message
/// types and flags the gateway reads and the namespace helper is given (the same on x64 and arm64).
/// </summary>
internal static class NetworkConstants
{
    /// <summary><c>SOL_SOCKET</c>: the level of socket-wide options and of <c>SCM_RIGHTS</c>.</summary>
    public const int SolSocket = 1;

    /// <summary><c>SCM_RIGHTS</c>: a control message that carries file descriptors over a Unix socket.</summary>
    public const int ScmRights = 1;

    /// <summary><c>SO_REUSEADDR</c> alone (.NET's <c>ReuseAddress</c> also sets <c>SO_REUSEPORT</c>, which lets a second socket listen on a port in use).</summary>
    public const int SoReuseAddr = 2;

    /// <summary><c>SO_PEERCRED</c>: the process, user and group at the other end of a Unix socket.</summary>
    public const int SoPeerCred = 17;

    /// <summary><c>SOL_IP</c> (<c>IPPROTO_IP</c>): the level of IPv4 options.</summary>
    public const int SolIp = 0;

    /// <summary><c>IP_TRANSPARENT</c>: a socket may receive datagrams diverted to it by TPROXY.</summary>
    public const int IpTransparent = 19;

    /// <summary><c>IP_RECVORIGDSTADDR</c>: each datagram comes with its original destination, as an <c>IP_ORIGDSTADDR</c> control message of the same number.</summary>
    public const int IpRecvOrigDstAddr = 20;

    /// <summary><c>SO_ORIGINAL_DST</c>: where a connection redirected by NAT was going (a <c>sockaddr_in</c>).</summary>
    public const int SoOriginalDst = 80;

    /// <summary><c>IPPROTO_RAW</c>: a raw IPv4 socket that sends whole packets, header included.</summary>
    public const int IpProtoRaw = 255;

    /// <summary><c>CLONE_NEWNET</c>: <c>setns(2)</c>'s kind for a network namespace.</summary>
    public const int CloneNewNet = 0x40000000;

    /// <summary><c>MSG_DONTWAIT</c>: a receive that returns at once when nothing is waiting.</summary>
    public const int MsgDontWait = 0x40;

    /// <summary><c>MSG_CMSG_CLOEXEC</c>: descriptors received with <c>SCM_RIGHTS</c> close on exec, so no child inherits them.</summary>
    public const int MsgCmsgCloexec = 0x40000000;

    /// <summary><c>EAGAIN</c>: nothing to receive now.</summary>
    public const int EAgain = 11;
}
