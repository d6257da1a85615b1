using Arker.Testing.Shared;

namespace Arker.Testing.Client.Wire;

/// <summary>Public image aliases, resolved on the client as the official SDKs do.</summary>
internal static class VmIds
{
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["arkuntu"] = "01KQBYKEV5WJ7YB010603T1DCT_d8c0",
    };

    public static string ResolveAlias(string idOrName) => Aliases.TryGetValue(idOrName, out string? id) ? id : idOrName;

    public static bool LooksLikeVmId(string value) => Ulid.IsVmId(value);

    public static string NewUlid(DateTimeOffset now) => Ulid.New(now);
}
