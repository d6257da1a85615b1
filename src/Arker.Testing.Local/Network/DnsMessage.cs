using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Arker.Testing.Local.Network;

/// <summary>The DNS answer codes the gateway gives.</summary>
internal enum DnsResponseCode
{
    NoError = 0,
    ServerFailure = 2,
    NameError = 3,
    Refused = 5,
}

/// <summary>
/// The little of DNS (RFC 1035) the gateway needs: the one question of a standard query, and an
/// answer to it with at most one A record.
/// </summary>
internal static class DnsMessage
{
    public const ushort TypeA = 1;
    private const int HeaderLength = 12;

    /// <summary>Reads the question of a standard query; false for anything else (which gets no answer).</summary>
    public static bool TryReadQuestion(ReadOnlySpan<byte> query, out string name, out ushort type, out int questionEnd)
    {
        name = "";
        type = 0;
        questionEnd = 0;
        if (query.Length < HeaderLength || (query[2] & 0xF8) != 0 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return false; // a response, not a standard QUERY, or not exactly one question
        }

        var labels = new StringBuilder();
        int at = HeaderLength;
        while (at < query.Length && query[at] != 0)
        {
            int length = query[at];
            if (length > 63 || at + 1 + length > query.Length)
            {
                return false; // compression has no place in a question; anything else is malformed
            }

            labels.Append(labels.Length > 0 ? "." : "").Append(Encoding.ASCII.GetString(query.Slice(at + 1, length)));
            at += 1 + length;
        }

        if (at + 5 > query.Length || labels.Length == 0)
        {
            return false;
        }

        name = labels.ToString();
        type = BinaryPrimitives.ReadUInt16BigEndian(query[(at + 1)..]);
        questionEnd = at + 5;
        return true;
    }

    /// <summary>The answer to <paramref name="query"/>: its header and question, with <paramref name="address"/> as its one A record if given.</summary>
    public static byte[] Answer(ReadOnlySpan<byte> query, int questionEnd, DnsResponseCode code, IPAddress? address, uint timeToLive = 60)
    {
        int answerLength = address is null ? 0 : 16;
        byte[] answer = new byte[questionEnd + answerLength];
        query[..questionEnd].CopyTo(answer);
        answer[2] = (byte)(0x80 | (query[2] & 0x01)); // a response, recursion desired echoed
        answer[3] = (byte)(0x80 | (int)code); // recursion available
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(6), (ushort)(address is null ? 0 : 1));
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(8), 0); // no authority, no additional records
        if (address is not null)
        {
            Span<byte> record = answer.AsSpan(questionEnd);
            BinaryPrimitives.WriteUInt16BigEndian(record, 0xC00C); // the name: the question's, by pointer
            BinaryPrimitives.WriteUInt16BigEndian(record[2..], TypeA);
            BinaryPrimitives.WriteUInt16BigEndian(record[4..], 1); // IN
            BinaryPrimitives.WriteUInt32BigEndian(record[6..], timeToLive);
            BinaryPrimitives.WriteUInt16BigEndian(record[10..], 4);
            address.TryWriteBytes(record[12..], out _);
        }

        return answer;
    }
}
