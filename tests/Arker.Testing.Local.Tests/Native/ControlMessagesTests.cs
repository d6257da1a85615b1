using System.Buffers.Binary;
using System.Net;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Tests.Native;

/// <summary>Reading what recvmsg(2) fills in: control messages and IPv4 socket addresses (pure: no sockets).</summary>
public sealed class ControlMessagesTests
{
    [Fact]
    public void Descriptors_AreReadFromAnScmRightsMessage_AfterAnotherMessage()
    {
        byte[] control = [.. Message(NetworkConstants.SolIp, 8, [1, 2, 3, 4, 5]), .. Message(NetworkConstants.SolSocket, NetworkConstants.ScmRights, Ints(7, 42, 1000))];

        Assert.Equal([7, 42, 1000], ControlMessages.Descriptors(control));
    }

    [Fact]
    public void Rights_IsOneScmRightsMessage_PaddedAsCmsgSpace_ThatReadsBack()
    {
        byte[] control = ControlMessages.Rights(17);

        Assert.Equal(24, control.Length);
        Assert.Equal(20, BinaryPrimitives.ReadInt64LittleEndian(control));
        Assert.Equal([17], ControlMessages.Descriptors(control));
    }

    [Fact]
    public void Rights_CarriesSeveralDescriptors_InOrder()
    {
        byte[] control = ControlMessages.Rights(5, 6, 7);

        Assert.Equal(32, control.Length);
        Assert.Equal(28, BinaryPrimitives.ReadInt64LittleEndian(control));
        Assert.Equal([5, 6, 7], ControlMessages.Descriptors(control));
    }

    [Fact]
    public void TheOriginalDestination_IsFoundByLevelAndType()
    {
        byte[] control = Message(NetworkConstants.SolIp, NetworkConstants.IpRecvOrigDstAddr, SocketAddress("198.18.0.9", 5353));

        Assert.True(ControlMessages.TryFind(control, NetworkConstants.SolIp, NetworkConstants.IpRecvOrigDstAddr, out ReadOnlySpan<byte> data));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.18.0.9"), 5353), ControlMessages.ReadIPv4(data));
    }

    [Fact]
    public void NothingIsFound_InNoMessages_OrOnesCutShort()
    {
        byte[] whole = Message(NetworkConstants.SolSocket, NetworkConstants.ScmRights, Ints(3));
        byte[] claimsTooMuch = [.. whole];
        BinaryPrimitives.WriteInt64LittleEndian(claimsTooMuch, 64);

        Assert.Empty(ControlMessages.Descriptors([]));
        Assert.Empty(ControlMessages.Descriptors(whole.AsSpan(0, 12)));
        Assert.Empty(ControlMessages.Descriptors(claimsTooMuch));
        Assert.False(ControlMessages.TryFind(whole, NetworkConstants.SolIp, NetworkConstants.IpRecvOrigDstAddr, out _));
    }

    [Fact]
    public void AnAddressOfAnotherFamily_OrTooShort_IsAFormatError()
    {
        byte[] ipv6 = SocketAddress("127.0.0.1", 80);
        BinaryPrimitives.WriteUInt16LittleEndian(ipv6, 10);

        Assert.Throws<FormatException>(() => ControlMessages.ReadIPv4(ipv6));
        Assert.Throws<FormatException>(() => ControlMessages.ReadIPv4(SocketAddress("127.0.0.1", 80).AsSpan(0, 6)));
    }

    private static byte[] Message(int level, int type, byte[] data)
    {
        byte[] message = new byte[(16 + data.Length + 7) & ~7];
        BinaryPrimitives.WriteInt64LittleEndian(message, 16 + data.Length);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(8), level);
        BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(12), type);
        data.CopyTo(message, 16);
        return message;
    }

    private static byte[] Ints(params int[] values)
    {
        byte[] bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    private static byte[] SocketAddress(string address, int port)
    {
        byte[] bytes = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 2);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)port);
        IPAddress.Parse(address).TryWriteBytes(bytes.AsSpan(4), out _);
        return bytes;
    }
}
