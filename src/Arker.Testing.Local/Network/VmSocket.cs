using System.Net;
using System.Net.Sockets;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Network;

/// <summary>What a socket made inside a VM's network namespace is for; all but the raw sender are on the VM's 127.0.0.1.</summary>
internal enum VmSocketKind
{
    /// <summary>An unconnected TCP socket, which the server connects to a guest port.</summary>
    Stream,

    /// <summary>A TCP socket listening on the port.</summary>
    Listener,

    /// <summary>A UDP socket bound to the port.</summary>
    Datagram,

    /// <summary>A UDP socket bound to the port that receives datagrams TPROXY diverts to it, each with its original destination.</summary>
    TransparentDatagram,

    /// <summary>A raw IPv4 socket that sends whole packets (<c>IPPROTO_RAW</c>), header included.</summary>
    RawSender,
}

/// <summary>
/// A socket the server needs inside a VM's network namespace. It is made there (by this process
/// as root, by the namespace helper without root) and used from here: a socket stays in the
/// namespace it was made in, whichever process holds it. So a VM's network costs the server
/// descriptors, and no process per connection.
/// </summary>
internal readonly record struct VmSocket(VmSocketKind Kind, int Port = 0)
{
    /// <summary>How the namespace helper's requests name it: <c>kind:port</c>.</summary>
    public string Wire => $"{Kind switch
    {
        VmSocketKind.Stream => "stream",
        VmSocketKind.Listener => "listen",
        VmSocketKind.Datagram => "udp",
        VmSocketKind.TransparentDatagram => "tproxy",
        _ => "raw",
    }}:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>A new socket of this kind; the calling thread must be in the VM's network namespace.</summary>
    public Socket Create() => Kind switch
    {
        VmSocketKind.Stream or VmSocketKind.Listener => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp),
        VmSocketKind.RawSender => new Socket(AddressFamily.InterNetwork, SocketType.Raw, (ProtocolType)NetworkConstants.IpProtoRaw),
        _ => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp),
    };

    /// <summary>Binds (and listens or makes transparent) a socket <see cref="Create"/> made; needs the namespace's privileges for low ports and TPROXY.</summary>
    public void Configure(Socket socket)
    {
        switch (Kind)
        {
            case VmSocketKind.Listener:
                socket.SetRawSocketOption(NetworkConstants.SolSocket, NetworkConstants.SoReuseAddr, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(IPAddress.Loopback, Port));
                socket.Listen(128);
                break;
            case VmSocketKind.TransparentDatagram:
                socket.SetRawSocketOption(NetworkConstants.SolIp, NetworkConstants.IpTransparent, BitConverter.GetBytes(1));
                socket.SetRawSocketOption(NetworkConstants.SolIp, NetworkConstants.IpRecvOrigDstAddr, BitConverter.GetBytes(1));
                socket.Bind(new IPEndPoint(IPAddress.Loopback, Port));
                break;
            case VmSocketKind.Datagram:
                socket.Bind(new IPEndPoint(IPAddress.Loopback, Port));
                break;
        }
    }
}
