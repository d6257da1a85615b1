using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Arker.Testing.Local.Native;

/// <summary>
/// The two uses of <c>recvmsg(2)</c> that .NET's sockets do not offer: a datagram with its
/// original destination (<c>IP_ORIGDSTADDR</c>), and bytes with the file descriptors sent along
/// (<c>SCM_RIGHTS</c>).
/// </summary>
internal static class SocketMessages
{
    private const int ControlSpace = 256;

    /// <summary>
    /// Takes one waiting datagram into <paramref name="buffer"/> with its source and the destination
    /// it was sent to before TPROXY diverted it; false when none is waiting.
    /// </summary>
    public static unsafe bool TryReceiveDatagram(Socket socket, byte[] buffer, out int length, out IPEndPoint source, out IPEndPoint? destination)
    {
        byte* name = stackalloc byte[16];
        byte* control = stackalloc byte[ControlSpace];
        fixed (byte* data = buffer)
        {
            var vector = new LibC.IoVector { Base = data, Length = (nuint)buffer.Length };
            var header = new LibC.MessageHeader { Name = name, NameLength = 16, Vectors = &vector, VectorCount = 1, Control = control, ControlLength = ControlSpace };
            nint received = LibC.recvmsg(socket.Handle, &header, NetworkConstants.MsgDontWait);
            if (received < 0)
            {
                int error = LibC.LastError;
                length = 0;
                source = null!;
                destination = null;
                return error == NetworkConstants.EAgain ? false : throw SocketErrors.FromErrno(error);
            }

            length = (int)received;
            source = ControlMessages.ReadIPv4(new ReadOnlySpan<byte>(name, 16));
            destination = ControlMessages.TryFind(new ReadOnlySpan<byte>(control, (int)header.ControlLength), NetworkConstants.SolIp, NetworkConstants.IpRecvOrigDstAddr, out ReadOnlySpan<byte> original)
                ? ControlMessages.ReadIPv4(original)
                : null;
            return true;
        }
    }

    /// <summary>Sends all of <paramref name="data"/>, with <paramref name="descriptors"/> passed along (SCM_RIGHTS) with its first byte.</summary>
    public static unsafe void SendWithDescriptors(Socket socket, ReadOnlySpan<byte> data, params ReadOnlySpan<SafeHandle> descriptors)
    {
        int[] numbers = new int[descriptors.Length];
        for (int i = 0; i < descriptors.Length; i++)
        {
            numbers[i] = (int)descriptors[i].DangerousGetHandle();
        }

        byte[] control = ControlMessages.Rights(numbers);
        fixed (byte* bytes = data)
        fixed (byte* rights = control)
        {
            var vector = new LibC.IoVector { Base = bytes, Length = (nuint)data.Length };
            var header = new LibC.MessageHeader { Vectors = &vector, VectorCount = 1, Control = rights, ControlLength = (nuint)control.Length };
            nint sent;
            while ((sent = LibC.sendmsg(socket.Handle, &header, 0)) < 0 && LibC.LastError == 4)
            {
                // EINTR: try again.
            }

            if (sent < 0)
            {
                throw SocketErrors.FromErrno(LibC.LastError);
            }

            if (sent < data.Length)
            {
                socket.Send(data[(int)sent..]); // the descriptor went with the first part
            }
        }
    }

    /// <summary>
    /// Receives bytes into <paramref name="buffer"/>, waiting for them, and the descriptors that
    /// came with them, which are marked close-on-exec (no child process inherits them); 0 at the
    /// end of the stream.
    /// </summary>
    public static unsafe int ReceiveWithDescriptors(Socket socket, Span<byte> buffer, List<int> descriptors)
    {
        byte* control = stackalloc byte[ControlSpace];
        fixed (byte* data = buffer)
        {
            var vector = new LibC.IoVector { Base = data, Length = (nuint)buffer.Length };
            var header = new LibC.MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = ControlSpace };
            nint received;
            while ((received = LibC.recvmsg(socket.Handle, &header, NetworkConstants.MsgCmsgCloexec)) < 0 && LibC.LastError == 4)
            {
                // EINTR: try again.
            }

            if (received < 0)
            {
                throw SocketErrors.FromErrno(LibC.LastError);
            }

            descriptors.AddRange(ControlMessages.Descriptors(new ReadOnlySpan<byte>(control, (int)header.ControlLength)));
            return (int)received;
        }
    }

    /// <summary>The process at the other end of a Unix socket (<c>SO_PEERCRED</c>).</summary>
    public static int PeerProcess(Socket channel)
    {
        byte[] credentials = new byte[12];
        channel.GetRawSocketOption(NetworkConstants.SolSocket, NetworkConstants.SoPeerCred, credentials);
        return BitConverter.ToInt32(credentials, 0);
    }
}
