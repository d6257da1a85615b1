namespace Arker.Testing.Client.Wire;

/// <summary>VM ids, public image aliases, and new ULIDs for uploads.</summary>
internal static class VmIds
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>Public base images, resolved on the client as the official SDKs do.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["arkuntu"] = "01KQBYKEV5WJ7YB010603T1DCT_d8c0",
    };

    public static string ResolveAlias(string idOrName) => Aliases.TryGetValue(idOrName, out string? id) ? id : idOrName;

    /// <summary>26 Crockford base32 characters, optionally <c>_</c> and an alphanumeric region tag.</summary>
    public static bool LooksLikeVmId(string value)
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

    public static string NewUlid(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes, now.ToUnixTimeMilliseconds() << 16);
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes[6..]);
        UInt128 value = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
        Span<char> text = stackalloc char[26];
        for (int i = 25; i >= 0; i--)
        {
            text[i] = Alphabet[(int)(value & 31)];
            value >>= 5;
        }

        return new string(text);
    }

    private static readonly System.Buffers.SearchValues<char> AlphanumericAscii =
        System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}
