using System.Net.Sockets;

namespace Arker.Testing.Local.Native;

/// <summary>
/// A socket error the kernel reported as an errno (through a raw system call, or from the
/// namespace helper) as the <see cref="SocketException"/> .NET itself would throw for it, so
/// callers catch one kind of error whichever way a socket was made.
/// </summary>
internal static class SocketErrors
{
    public static SocketException FromErrno(int errno) => new((int)(errno switch
    {
        1 or 13 => SocketError.AccessDenied, // EPERM, EACCES
        11 => SocketError.WouldBlock, // EAGAIN
        22 => SocketError.InvalidArgument, // EINVAL
        23 or 24 => SocketError.TooManyOpenSockets, // ENFILE, EMFILE
        97 => SocketError.AddressFamilyNotSupported, // EAFNOSUPPORT
        98 => SocketError.AddressAlreadyInUse, // EADDRINUSE
        99 => SocketError.AddressNotAvailable, // EADDRNOTAVAIL
        104 => SocketError.ConnectionReset, // ECONNRESET
        111 => SocketError.ConnectionRefused, // ECONNREFUSED
        _ => SocketError.SocketError,
    }), $"{LibC.Describe(errno)} (errno {errno})");
}
