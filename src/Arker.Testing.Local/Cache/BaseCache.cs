using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Cache;

/// <summary>
/// Provisioned bases kept on disk across server runs (by default under
/// <c>$XDG_CACHE_HOME/arker-local</c>). Each entry is written aside, in a <c>.tmp-…</c> folder,
/// and published by one rename, so a run killed while storing leaves nothing half-published; the
/// first of two runs to publish an entry wins. An entry that cannot be read, or was made by
/// another server version, kernel or mode (its <see cref="CachedBase.Fingerprint"/>), is skipped
/// with a message and never crashes the server.
/// </summary>
internal sealed class BaseCache
{
    private const string ManifestFile = "manifest.json";
    private const string StagingPrefix = ".tmp-";
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);
    private readonly string _bases;
    private readonly string _fingerprint;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public BaseCache(string directory, string fingerprint, TimeProvider time, ILogger logger)
    {
        _time = time;
        Directory = directory;
        _bases = Path.Combine(directory, "bases");
        _fingerprint = fingerprint;
        _logger = logger;
    }

    public string Directory { get; }

    /// <summary>The folder of the cache the server uses unless told otherwise: <c>$XDG_CACHE_HOME/arker-local</c>, else <c>~/.cache/arker-local</c>.</summary>
    public static string DefaultDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "arker-local");
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

            if (Read(entry) is { } cached)
            {
                usable.Add(cached);
            }
        }

        return usable;
    }

    /// <summary>
    /// Stores a base: <paramref name="fill"/> writes its flattened root into the folder it is given;
    /// then the manifest is written and the entry published. If another run published the same
    /// entry first, that one stays and is returned.
    /// </summary>
    public async Task<CachedBase> StoreAsync(string name, string recipeHash, Func<string, Task> fill)
    {
        System.IO.Directory.CreateDirectory(_bases);
        string staging = Path.Combine(_bases, StagingPrefix + Guid.NewGuid().ToString("N"));
        string layer = Path.Combine(staging, "layer");
        System.IO.Directory.CreateDirectory(layer);
        try
        {
            await fill(layer);
            var manifest = new CachedBase(CachedBase.CurrentFormat, name, recipeHash, _fingerprint, SizeOf(layer), _time.GetUtcNow());
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

            return Read(published) ?? throw new IOException($"the cached base {published} could not be read back");
        }
        catch
        {
            Delete(staging);
            throw;
        }
    }

    private CachedBase? Read(string entry)
    {
        CachedBase? cached;
        try
        {
            cached = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(entry, ManifestFile)), CacheJsonContext.Default.CachedBase);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            _logger.LogWarning("Skipped the cached base {Entry}: its manifest cannot be read ({Reason}). Remove it, or prune the cache", entry, ex.Message);
            return null;
        }

        if (cached is null || cached.Format != CachedBase.CurrentFormat || string.IsNullOrEmpty(cached.Name) || !System.IO.Directory.Exists(Path.Combine(entry, "layer")))
        {
            _logger.LogWarning("Skipped the cached base {Entry}: it is not a complete entry of this format. Remove it, or prune the cache", entry);
            return null;
        }

        if (cached.Fingerprint != _fingerprint)
        {
            _logger.LogInformation("Skipped the cached base {Entry}: it was made by another server version, kernel or mode", entry);
            return null;
        }

        return cached with { Directory = entry };
    }

    private void RemoveIfAbandoned(string staging)
    {
        if (_time.GetUtcNow().UtcDateTime - System.IO.Directory.GetLastWriteTimeUtc(staging) > AbandonedAfter)
        {
            _logger.LogInformation("Removed {Staging}, a cached base whose storing never finished", staging);
            Delete(staging);
        }
    }

    private static long SizeOf(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
            .Sum(file => file.Length);

    private static void Delete(string directory)
    {
        try
        {
            Sandbox.BackgroundCleanup.DeleteNow(directory); // VM folders may be read-only: it makes them writable first
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next start, which removes abandoned staging folders.
        }
    }
}
