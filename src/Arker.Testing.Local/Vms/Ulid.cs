using System.Security.Cryptography;

namespace Arker.Testing.Local.Vms;

/// <summary>ULIDs (48-bit millisecond time, 80 random bits, Crockford base32) and VM id shapes.</summary>
internal static class Ulid
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string New(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        long milliseconds = now.ToUnixTimeMilliseconds();
        for (int i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(milliseconds & 0xFF);
            milliseconds >>= 8;
        }

        RandomNumberGenerator.Fill(bytes[6..]);
        UInt128 value = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
        Span<char> text = stackalloc char[26];
        for (int i = 25; i >= 0; i--)
        {
            text[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }

        return new string(text);
    }

    /// <summary>A ULID, optionally followed by <c>_</c> and an alphanumeric region tag.</summary>
    public static bool IsVmId(string value)
    {
        int underscore = value.IndexOf('_', StringComparison.Ordinal);
        ReadOnlySpan<char> head = underscore < 0 ? value : value.AsSpan(0, underscore);
        if (underscore >= 0)
        {
            ReadOnlySpan<char> tail = value.AsSpan(underscore + 1);
            if (tail.IsEmpty || !tail.ContainsOnlyAlphanumeric())
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

    private static bool ContainsOnlyAlphanumeric(this ReadOnlySpan<char> span)
    {
        foreach (char c in span)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
