using System.Text.Json.Serialization;

namespace Arker.Testing.Local.Cache;

/// <summary>
/// A complete, reusable base kept across server runs: one flattened layer (the VM's whole root
/// as it was when stored) and this manifest beside it, in <c>manifest.json</c>. <c>Inputs</c> is
/// what the base's provisioning read from the client's machine, as the client recorded it:
/// opaque here, kept and listed for the client to check before it reuses the base. <c>OwnRoot</c>:
/// the base is a whole root of its own (from an image), which sees nothing of this machine;
/// <c>RootInside</c>: its VMs have root inside (its ids are the VMs' range). <c>Root</c>: what its
/// VMs' root came from (an image reference, a root filesystem, or <c>arkuntu</c>), and
/// <c>BaseNames</c>: the base names that stood for it when it was stored (<c>ubuntu-base</c> →
/// that reference), so a server where such a name stands for something else does not offer it.
/// </summary>
internal sealed record CachedBase(
    int Format,
    string Name,
    string RecipeHash,
    string Fingerprint,
    long SizeBytes,
    DateTimeOffset CreatedAt,
    string? Inputs = null,
    bool OwnRoot = false,
    bool RootInside = false,
    string? Root = null,
    IReadOnlyDictionary<string, string>? BaseNames = null)
{
    /// <summary>The format this server writes and reads; another is ignored.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The folder of the entry (not stored: it is where the manifest was found).</summary>
    [JsonIgnore]
    public string Directory { get; init; } = "";

    /// <summary>The flattened layer, which forks of the base use as their lower layer where it lies.</summary>
    [JsonIgnore]
    public string LayerPath => Path.Combine(Directory, "layer");

    /// <summary>The folder name of an entry: its name and recipe hash, so a new recipe is a new entry.</summary>
    public static string Key(string name, string recipeHash) => $"{name}@{recipeHash}";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(CachedBase))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
