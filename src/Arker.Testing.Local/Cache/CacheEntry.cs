namespace Arker.Testing.Local.Cache;

/// <summary>An entry of the base cache as it lies on disk, usable by this server or not (for listing and eviction).</summary>
internal sealed record CacheEntry(string Directory, string Name, string RecipeHash, long SizeBytes, DateTimeOffset? CreatedAt, DateTimeOffset LastUsed, bool Usable);
