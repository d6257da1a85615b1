using System.Buffers.Binary;
using System.Net;

namespace Arker.Testing.Local.Network;

/// <summary>
/// A whole IPv4 packet carrying one UDP datagram, as a raw socket sends it (<c>IPPROTO_RAW</c>):
/// how the gateway answers a VM's UDP flow from the address and port the VM meant. Pure: no
/// system calls.
/// </summary>
internal static class UdpPacket
{
    /// <summary>An IPv4 header without options, then a UDP header.</summary>
    public const int HeaderLength = 20 + 8;

    /// <summary>The largest payload one packet can carry.</summary>
    public const int MaxPayload = ushort.MaxValue - HeaderLength;

    /// <summary>Writes the packet into <paramref name="packet"/> (at least <see cref="HeaderLength"/> + the payload's length); returns its length.</summary>
    /// <exception cref="ArgumentException">An endpoint is not IPv4, the payload is too large, or the buffer too small.</exception>
    public static int Write(Span<byte> packet, IPEndPoint from, IPEndPoint to, ReadOnlySpan<byte> payload)
    {
        if (from.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || to.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException("UDP packets are written for IPv4 endpoints only");
        }

        int length = HeaderLength + payload.Length;
        if (payload.Length > MaxPayload || packet.Length < length)
        {
            throw new ArgumentException($"a {payload.Length}-byte datagram does not fit (at most {MaxPayload} bytes, in a buffer of {packet.Length})");
        }

        Span<byte> ip = packet[..20];
        ip.Clear();
        ip[0] = 0x45; // version 4, five 32-bit words
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // don't fragment
        ip[8] = 64; // time to live
        ip[9] = 17; // UDP
        from.Address.TryWriteBytes(ip[12..16], out _);
        to.Address.TryWriteBytes(ip[16..20], out _);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip, 0));

        Span<byte> udp = packet[20..length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)to.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);
        payload.CopyTo(udp[8..]);
        uint pseudoHeader = Sum(ip[12..20]) + 17 + (uint)udp.Length;
        ushort checksum = Checksum(udp, pseudoHeader);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xFFFF : checksum); // 0 would mean "none"
        return length;
    }

    /// <summary>The Internet checksum (RFC 1071) of <paramref name="data"/>, starting from <paramref name="initial"/>.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data, uint initial)
    {
        ulong sum = initial + (ulong)Sum(data);
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)(data[i] << 8);
        }

        return sum;
    }
}
