using System.Buffers.Binary;
using System.Net;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>The little DNS the gateway speaks: one question read, one answer written.</summary>
public sealed class DnsMessageTests
{
    [Fact]
    public void The_question_of_a_standard_query_is_read()
    {
        byte[] query = Query(0x1234, "api.example.com", DnsMessage.TypeA);

        Assert.True(DnsMessage.TryReadQuestion(query, out string name, out ushort type, out int questionEnd));
        Assert.Equal(("api.example.com", DnsMessage.TypeA, query.Length), (name, type, questionEnd));
    }

    [Fact]
    public void A_response_a_message_with_two_questions_or_a_truncated_name_is_not_a_question()
    {
        byte[] response = Query(1, "example.com", DnsMessage.TypeA);
        response[2] |= 0x80;
        byte[] twoQuestions = Query(1, "example.com", DnsMessage.TypeA);
        twoQuestions[5] = 2;
        byte[] truncated = Query(1, "example.com", DnsMessage.TypeA)[..16];

        Assert.False(DnsMessage.TryReadQuestion(response, out _, out _, out _));
        Assert.False(DnsMessage.TryReadQuestion(twoQuestions, out _, out _, out _));
        Assert.False(DnsMessage.TryReadQuestion(truncated, out _, out _, out _));
        Assert.False(DnsMessage.TryReadQuestion(new byte[5], out _, out _, out _));
    }

    [Fact]
    public void An_answer_echoes_the_id_and_question_and_carries_one_A_record()
    {
        byte[] query = Query(0xBEEF, "example.com", DnsMessage.TypeA);
        DnsMessage.TryReadQuestion(query, out _, out _, out int questionEnd);

        byte[] answer = DnsMessage.Answer(query, questionEnd, DnsResponseCode.NoError, IPAddress.Parse("192.0.2.10"), timeToLive: 30);

        Assert.Equal(0xBEEF, BinaryPrimitives.ReadUInt16BigEndian(answer));
        Assert.Equal(0x81, answer[2]); // a response, recursion desired echoed
        Assert.Equal(0x80, answer[3]); // recursion available, no error
        Assert.Equal((1, 1), (BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(4)), BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(6))));
        Assert.Equal(query[12..questionEnd], answer[12..questionEnd]);
        Assert.Equal(30u, BinaryPrimitives.ReadUInt32BigEndian(answer.AsSpan(questionEnd + 6)));
        Assert.Equal(new byte[] { 192, 0, 2, 10 }, answer[^4..]);
    }

    [Fact]
    public void A_refusal_has_its_code_and_no_record()
    {
        byte[] query = Query(7, "blocked.example.com", DnsMessage.TypeA);
        DnsMessage.TryReadQuestion(query, out _, out _, out int questionEnd);

        byte[] answer = DnsMessage.Answer(query, questionEnd, DnsResponseCode.Refused, address: null);

        Assert.Equal(questionEnd, answer.Length);
        Assert.Equal(0x80 | (int)DnsResponseCode.Refused, answer[3]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(6)));
    }

    private static byte[] Query(ushort id, string name, ushort type)
    {
        var message = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (string label in name.Split('.'))
        {
            message.Add((byte)label.Length);
            message.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }

        message.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        return [.. message];
    }
}
