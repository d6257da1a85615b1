using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Arker.Testing.Shared;

/// <summary>
/// ULIDs (48-bit millisecond time, 80 random bits, Crockford base32) and the shape of Arker VM ids.
/// One source file, compiled into the client and the local server alike.
/// </summary>
internal static class Ulid
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly SearchValues<char> AlphanumericAscii =
        SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public static string New(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, now.ToUnixTimeMilliseconds() << 16);
        RandomNumberGenerator.Fill(bytes[6..]);
        UInt128 value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        Span<char> text = stackalloc char[26];
        for (int i = 25; i >= 0; i--)
        {
            text[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }

        return new string(text);
    }

    /// <summary>A VM id: a ULID (any case), optionally followed by <c>_</c> and an alphanumeric region tag.</summary>
    public static bool IsVmId(string value)
    {
        int underscore = value.IndexOf('_', StringComparison.Ordinal);
        ReadOnlySpan<char> head = underscore < 0 ? value : value.AsSpan(0, underscore);
        if (underscore >= 0)
        {
            ReadOnlySpan<char> tail = value.AsSpan(underscore + 1);
            if (tail.IsEmpty || tail.ContainsAnyExcept(AlphanumericAscii))
            {
                return false;
            }
        }

        if (head.Length != 26)
        {
            return false;
        }

        foreach (char c in head)
        {
            if (!Alphabet.Contains(char.ToUpperInvariant(c), StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The canonical spelling of a VM id: the ULID upper-case, the region tag as given.</summary>
    public static string Normalize(string vmId)
    {
        int underscore = vmId.IndexOf('_', StringComparison.Ordinal);
        return underscore < 0 ? vmId.ToUpperInvariant() : vmId[..underscore].ToUpperInvariant() + vmId[underscore..];
    }
}
