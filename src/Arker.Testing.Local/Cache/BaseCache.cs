using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Cache;

/// <summary>
/// Provisioned bases kept on disk across server runs (by default under
/// <c>$XDG_CACHE_HOME/arker-local</c>). Each entry is written aside, in a <c>.tmp-…</c> folder,
/// and published by one rename, so a run killed while storing leaves nothing half-published; the
/// first of two runs to publish an entry wins. An entry that cannot be read, or was made by
/// another server version, kernel or mode (its <see cref="CachedBase.Fingerprint"/>), is skipped
/// with a message and never crashes the server. Past <see cref="MaxBytes"/>, entries are evicted
/// least recently used first (a fork from an entry marks it used), never one this server offers or
/// that was used in the last ten minutes (another server may be using it).
/// </summary>
internal sealed class BaseCache
{
    private const string ManifestFile = "manifest.json";
    private const string StagingPrefix = ".tmp-";
    private const string LastUsedFile = "last-used";
    private static readonly TimeSpan InUseGrace = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);
    private readonly string _bases;
    private readonly string _fingerprint;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public BaseCache(string directory, string fingerprint, long maxBytes, TimeProvider time, ILogger logger)
    {
        MaxBytes = maxBytes;
        _time = time;
        Directory = directory;
        _bases = Path.Combine(directory, "bases");
        _fingerprint = fingerprint;
        _logger = logger;
    }

    public string Directory { get; }

    /// <summary>The size the cache is kept under, by evicting entries after a store.</summary>
    public long MaxBytes { get; }

    /// <summary>
    /// What a stored base must have been made under to be used: this server's version, the kernel,
    /// and <paramref name="baseIdentity"/> (root or rootless, and the base image).
    /// </summary>
    public static string Fingerprint(string baseIdentity)
    {
        string version = typeof(BaseCache).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        string kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{version}\n{kernel}\n{baseIdentity}")))[..16];
    }

    /// <summary>The entries this server can use; others are skipped with a message, and abandoned staging folders removed.</summary>
    public IReadOnlyList<CachedBase> Load()
    {
        if (!System.IO.Directory.Exists(_bases))
        {
            return [];
        }

        var usable = new List<CachedBase>();
        foreach (string entry in System.IO.Directory.EnumerateDirectories(_bases))
        {
            string name = Path.GetFileName(entry);
            if (name.StartsWith(StagingPrefix, StringComparison.Ordinal))
            {
                RemoveIfAbandoned(entry);
                continue;
            }

            (CachedBase? cached, string? problem) = TryRead(entry);
            if (cached is not null)
            {
                usable.Add(cached);
            }
            else
            {
                _logger.Log(problem!.StartsWith("made by", StringComparison.Ordinal) ? LogLevel.Information : LogLevel.Warning,
                    "Skipped the cached base {Entry}: {Problem}", entry, problem);
            }
        }

        return usable;
    }

    /// <summary>
    /// Stores a base: <paramref name="fill"/> writes its flattened root into the folder it is given;
    /// then the manifest is written and the entry published. If another run published the same
    /// entry first, that one stays and is returned.
    /// </summary>
    public async Task<CachedBase> StoreAsync(string name, string recipeHash, string? inputs, Func<string, Task> fill, bool ownRoot = false, bool rootInside = false, string? root = null, IReadOnlyDictionary<string, string>? baseNames = null)
    {
        System.IO.Directory.CreateDirectory(_bases);
        string staging = Path.Combine(_bases, StagingPrefix + Guid.NewGuid().ToString("N"));
        string layer = Path.Combine(staging, "layer");
        System.IO.Directory.CreateDirectory(layer);
        try
        {
            await fill(layer);
            var manifest = new CachedBase(CachedBase.CurrentFormat, name, recipeHash, _fingerprint, Storage.FolderSize.Of(layer), _time.GetUtcNow(), inputs, ownRoot, rootInside, root, baseNames);
            await File.WriteAllBytesAsync(Path.Combine(staging, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, CacheJsonContext.Default.CachedBase));
            string published = Path.Combine(_bases, CachedBase.Key(name, recipeHash));
            try
            {
                System.IO.Directory.Move(staging, published);
            }
            catch (IOException) when (System.IO.Directory.Exists(published))
            {
                Delete(staging); // another run published it first: theirs stays
            }

            return TryRead(published).Cached ?? throw new IOException($"the cached base {published} could not be read back");
        }
        catch
        {
            Delete(staging);
            throw;
        }
    }

    /// <summary>Marks <paramref name="cached"/> used now (a fork was made from it).</summary>
    public void MarkUsed(CachedBase cached)
    {
        try
        {
            string marker = Path.Combine(cached.Directory, LastUsedFile);
            File.WriteAllBytes(marker, []);
            File.SetLastWriteTimeUtc(marker, _time.GetUtcNow().UtcDateTime);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only eviction order suffers.
        }
    }

    /// <summary>Every entry on disk, usable here or not, least recently used first.</summary>
    public IReadOnlyList<CacheEntry> Entries()
    {
        if (!System.IO.Directory.Exists(_bases))
        {
            return [];
        }

        return [.. System.IO.Directory.EnumerateDirectories(_bases)
            .Where(entry => !Path.GetFileName(entry).StartsWith(StagingPrefix, StringComparison.Ordinal))
            .Select(Describe)
            .OrderBy(entry => entry.LastUsed)];
    }

    /// <summary>
    /// Evicts entries until the cache is under <see cref="MaxBytes"/>: unusable ones first, then the
    /// least recently used, sparing <paramref name="inUse"/> and entries used in the last minutes.
    /// </summary>
    public void Evict(IReadOnlySet<string> inUse)
    {
        IReadOnlyList<CacheEntry> entries = Entries();
        long total = entries.Sum(entry => entry.SizeBytes);
        DateTimeOffset now = _time.GetUtcNow();
        foreach (CacheEntry entry in entries.OrderBy(entry => entry.Usable).ThenBy(entry => entry.LastUsed))
        {
            if (total <= MaxBytes)
            {
                return;
            }

            if (inUse.Contains(entry.Directory) || now - entry.LastUsed < InUseGrace)
            {
                continue;
            }

            Delete(entry.Directory);
            total -= entry.SizeBytes;
            _logger.LogInformation("Evicted the cached base {Name} ({Size:0.0} MiB, last used {LastUsed:u}) to keep the base cache under {Max:0} MiB", entry.Name, entry.SizeBytes / 1048576.0, entry.LastUsed, MaxBytes / 1048576.0);
        }
    }

    /// <summary>Removes every entry (and abandoned staging folders); returns how many entries went.</summary>
    public int Clear()
    {
        IReadOnlyList<CacheEntry> entries = Entries();
        foreach (CacheEntry entry in entries)
        {
            Delete(entry.Directory);
        }

        return entries.Count;
    }

    private CacheEntry Describe(string entry)
    {
        (CachedBase? cached, _) = TryRead(entry);
        CachedBase? manifest = cached ?? ReadManifest(entry).Manifest;
        string marker = Path.Combine(entry, LastUsedFile);
        DateTimeOffset lastUsed = File.Exists(marker) ? File.GetLastWriteTimeUtc(marker)
            : manifest?.CreatedAt ?? System.IO.Directory.GetLastWriteTimeUtc(entry);
        long size = manifest?.SizeBytes ?? (System.IO.Directory.Exists(Path.Combine(entry, "layer")) ? Storage.FolderSize.Of(Path.Combine(entry, "layer")) : 0);
        return new CacheEntry(entry, manifest?.Name ?? Path.GetFileName(entry), manifest?.RecipeHash ?? "", size, manifest?.CreatedAt, lastUsed, Usable: cached is not null);
    }

    /// <summary>The entry's base if this server can use it; else why not.</summary>
    private (CachedBase? Cached, string? Problem) TryRead(string entry)
    {
        (CachedBase? cached, string? unreadable) = ReadManifest(entry);
        if (unreadable is not null)
        {
            return (null, $"its manifest cannot be read ({unreadable}); remove it, or prune the cache (arker-local cache prune)");
        }

        if (cached is null || cached.Format != CachedBase.CurrentFormat || string.IsNullOrEmpty(cached.Name) || !System.IO.Directory.Exists(Path.Combine(entry, "layer")))
        {
            return (null, "it is not a complete entry of this format; remove it, or prune the cache (arker-local cache prune)");
        }

        return cached.Fingerprint == _fingerprint
            ? (cached with { Directory = entry }, null)
            : (null, "made by another server version, kernel or mode");
    }

    /// <summary>The entry's manifest as written, whoever wrote it; or why it cannot be read.</summary>
    private static (CachedBase? Manifest, string? Problem) ReadManifest(string entry)
    {
        try
        {
            return (JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(entry, ManifestFile)), CacheJsonContext.Default.CachedBase), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return (null, ex.Message);
        }
    }

    private void RemoveIfAbandoned(string staging)
    {
        if (_time.GetUtcNow().UtcDateTime - System.IO.Directory.GetLastWriteTimeUtc(staging) > AbandonedAfter)
        {
            _logger.LogInformation("Removed {Staging}, a cached base whose storing never finished", staging);
            Delete(staging);
        }
    }

    private static void Delete(string directory)
    {
        try
        {
            Storage.FolderRemoval.Delete(directory); // VM folders may be read-only: it makes them writable first
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next start, which removes abandoned staging folders.
        }
    }
}
