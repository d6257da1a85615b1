using System.Buffers.Binary;
using System.Net;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Local.Tests.Network;

/// <summary>The packets a VM's gateway answers UDP flows with (pure: no sockets).</summary>
public sealed class UdpPacketTests
{
    private static readonly IPEndPoint Meant = new(IPAddress.Parse("198.18.0.7"), 9999);
    private static readonly IPEndPoint Vm = new(IPAddress.Loopback, 43210);

    [Fact]
    public void Write_MakesAnIPv4PacketFromTheAddressTheVmMeant_ToTheVm()
    {
        byte[] packet = new byte[100];

        int length = UdpPacket.Write(packet, Meant, Vm, "pong"u8);

        Assert.Equal(32, length);
        Assert.Equal((0x45, 17, 64), (packet[0], packet[9], packet[8]));
        Assert.Equal(32, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
        Assert.Equal(Meant.Address, new IPAddress(packet.AsSpan(12, 4)));
        Assert.Equal(Vm.Address, new IPAddress(packet.AsSpan(16, 4)));
        Assert.Equal((9999, 43210, 12), (BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(20)), BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(22)), BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(24))));
        Assert.Equal("pong"u8.ToArray(), packet[28..32]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(1400)]
    public void Write_GivesBothChecksumsThatVerify(int payloadLength)
    {
        byte[] payload = [.. Enumerable.Range(0, payloadLength).Select(i => (byte)(i * 7))];
        byte[] packet = new byte[UdpPacket.HeaderLength + payloadLength];

        int length = UdpPacket.Write(packet, Meant, Vm, payload);

        // A header whose checksum is right sums to 0xFFFF, so its checksum again is 0.
        Assert.Equal(0, UdpPacket.Checksum(packet.AsSpan(0, 20), 0));
        uint pseudoHeader = Sum(packet.AsSpan(12, 8)) + 17 + (uint)(length - 20);
        Assert.Equal(0, UdpPacket.Checksum(packet.AsSpan(20, length - 20), pseudoHeader));
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(26)));
    }

    [Fact]
    public void Checksum_IsRfc1071s()
    {
        // The example of RFC 1071, section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, whose complement is 220d.
        Assert.Equal(0x220D, UdpPacket.Checksum([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7], 0));
    }

    [Fact]
    public void Write_RefusesWhatCannotBeSent()
    {
        var ipv6 = new IPEndPoint(IPAddress.IPv6Loopback, 53);

        Assert.Throws<ArgumentException>(() => UdpPacket.Write(new byte[100], ipv6, Vm, "x"u8));
        Assert.Throws<ArgumentException>(() => UdpPacket.Write(new byte[30], Meant, Vm, "too long"u8));
        Assert.Throws<ArgumentException>(() => UdpPacket.Write(new byte[70000], Meant, Vm, new byte[UdpPacket.MaxPayload + 1]));
    }

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        return sum;
    }
}
