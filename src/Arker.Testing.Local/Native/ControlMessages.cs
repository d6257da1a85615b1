using System.Buffers.Binary;
using System.Net;

namespace Arker.Testing.Local.Native;

/// <summary>
/// Reads what <c>recvmsg(2)</c> fills in on a 64-bit Linux machine: the control messages after a
/// message (each a <c>cmsghdr</c> of an 8-byte length, a level and a type, then its data, padded
/// to 8 bytes) and IPv4 socket addresses (<c>sockaddr_in</c>). Pure: no system calls.
/// </summary>
internal static class ControlMessages
{
    private const int HeaderLength = 16;

    /// <summary>The data of the first control message of <paramref name="level"/> and <paramref name="type"/>; false if there is none.</summary>
    public static bool TryFind(ReadOnlySpan<byte> control, int level, int type, out ReadOnlySpan<byte> data)
    {
        int at = 0;
        while (at + HeaderLength <= control.Length)
        {
            long length = BinaryPrimitives.ReadInt64LittleEndian(control[at..]);
            if (length < HeaderLength || at + length > control.Length)
            {
                break; // malformed or cut short (MSG_CTRUNC): nothing more can be trusted
            }

            if (BinaryPrimitives.ReadInt32LittleEndian(control[(at + 8)..]) == level && BinaryPrimitives.ReadInt32LittleEndian(control[(at + 12)..]) == type)
            {
                data = control.Slice(at + HeaderLength, (int)length - HeaderLength);
                return true;
            }

            at += (int)((length + 7) & ~7L);
        }

        data = default;
        return false;
    }

    /// <summary>The file descriptors an <c>SCM_RIGHTS</c> control message carries (none if there is no such message).</summary>
    public static int[] Descriptors(ReadOnlySpan<byte> control)
    {
        if (!TryFind(control, NetworkConstants.SolSocket, NetworkConstants.ScmRights, out ReadOnlySpan<byte> data))
        {
            return [];
        }

        int[] descriptors = new int[data.Length / sizeof(int)];
        for (int i = 0; i < descriptors.Length; i++)
        {
            descriptors[i] = BinaryPrimitives.ReadInt32LittleEndian(data[(i * sizeof(int))..]);
        }

        return descriptors;
    }

    /// <summary>One <c>SCM_RIGHTS</c> control message carrying <paramref name="descriptors"/>, padded as <c>CMSG_SPACE</c> pads it.</summary>
    public static byte[] Rights(params ReadOnlySpan<int> descriptors)
    {
        int length = HeaderLength + (sizeof(int) * descriptors.Length);
        byte[] control = new byte[(length + 7) & ~7];
        BinaryPrimitives.WriteInt64LittleEndian(control, length);
        BinaryPrimitives.WriteInt32LittleEndian(control.AsSpan(8), NetworkConstants.SolSocket);
        BinaryPrimitives.WriteInt32LittleEndian(control.AsSpan(12), NetworkConstants.ScmRights);
        for (int i = 0; i < descriptors.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(control.AsSpan(HeaderLength + (i * sizeof(int))), descriptors[i]);
        }

        return control;
    }

    /// <summary>An IPv4 <c>sockaddr_in</c>: family (2 bytes, host order), port and address (network order).</summary>
    /// <exception cref="FormatException">It is shorter than 8 bytes or not of the IPv4 family.</exception>
    public static IPEndPoint ReadIPv4(ReadOnlySpan<byte> socketAddress) =>
        socketAddress.Length >= 8 && BinaryPrimitives.ReadUInt16LittleEndian(socketAddress) == (ushort)System.Net.Sockets.AddressFamily.InterNetwork
            ? new IPEndPoint(new IPAddress(socketAddress.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(socketAddress[2..]))
            : throw new FormatException("not an IPv4 socket address");
}
