using System.Collections;
using System.Reflection;
using System.Text;

namespace Arker.Testing.Seeding;

/// <summary>
/// Files to put in a VM, from a directory, an in-memory map or embedded resources. Seeding sends
/// them all as one archive and extracts it in one command, so a thousand small files cost about as
/// much as one.
/// </summary>
public sealed class SeedFiles : IEnumerable<SeedFile>
{
    private const UnixFileMode RegularFile = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly List<SeedFile> _files = [];

    /// <summary>How many files there are.</summary>
    public int Count => _files.Count;

    /// <summary>Every file below <paramref name="directory"/>, recursively, with its mode; <c>.git</c>, <c>bin</c> and <c>obj</c> are skipped by default.</summary>
    public static SeedFiles FromDirectory(string directory, SeedOptions? options = null)
    {
        options ??= new SeedOptions();
        string root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The seed directory '{root}' does not exist (relative paths start at {Environment.CurrentDirectory}).");
        }

        Inputs.HostInputRecorder.Record(Inputs.HostInput.Directory(root, options.ExcludedDirectories));
        var files = new SeedFiles();
        Walk(root);
        return files;

        void Walk(string current)
        {
            foreach (string file in Directory.EnumerateFiles(current).Order(StringComparer.Ordinal))
            {
                string relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
                UnixFileMode mode = OperatingSystem.IsWindows() ? RegularFile : File.GetUnixFileMode(file);
                files.Add(relative, () => File.OpenRead(file), mode);
            }

            foreach (string child in Directory.EnumerateDirectories(current).Order(StringComparer.Ordinal))
            {
                if (!options.ExcludedDirectories.Contains(Path.GetFileName(child)))
                {
                    Walk(child);
                }
            }
        }
    }

    /// <summary>Files from an in-memory map of relative path to text (UTF-8) or bytes.</summary>
    public static SeedFiles FromMap(IReadOnlyDictionary<string, string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var seed = new SeedFiles();
        foreach ((string path, string text) in files)
        {
            seed.Add(path, Encoding.UTF8.GetBytes(text));
        }

        return seed;
    }

    /// <inheritdoc cref="FromMap(IReadOnlyDictionary{string, string})"/>
    public static SeedFiles FromMap(IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var seed = new SeedFiles();
        foreach ((string path, byte[] bytes) in files)
        {
            seed.Add(path, bytes);
        }

        return seed;
    }

    /// <summary>
    /// The assembly's embedded resources whose names start with <paramref name="prefix"/>; the rest of
    /// each name is the relative path, its dots before the last turned into directories (the way the
    /// SDK names resources: <c>Prefix.dir.sub.file.txt</c> becomes <c>dir/sub/file.txt</c>).
    /// </summary>
    public static SeedFiles FromEmbeddedResources(Assembly assembly, string prefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        string start = prefix.EndsWith('.') ? prefix : prefix + ".";
        var seed = new SeedFiles();
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(start, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string rest = name[start.Length..];
            int extension = rest.LastIndexOf('.');
            string relative = extension <= 0 ? rest : rest[..extension].Replace('.', '/') + rest[extension..];
            seed.Add(relative, () => assembly.GetManifestResourceStream(name)!, RegularFile);
        }

        return seed.Count > 0
            ? seed
            : throw new ArgumentException($"{assembly.GetName().Name} has no embedded resources starting with '{start}'.", nameof(prefix));
    }

    /// <summary>Adds a file with the given bytes.</summary>
    public SeedFiles Add(string relativePath, byte[] content, UnixFileMode mode = RegularFile)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Add(relativePath, () => new MemoryStream(content, writable: false), mode);
    }

    /// <summary>Adds a file whose content is opened when the archive is written.</summary>
    public SeedFiles Add(string relativePath, Func<Stream> open, UnixFileMode mode = RegularFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        string normalized = relativePath.Replace('\\', '/').TrimStart('/');
        if (normalized.Split('/').Any(s => s is ".." or ""))
        {
            throw new ArgumentException($"A seed path must stay below the target directory (got '{relativePath}').", nameof(relativePath));
        }

        _files.Add(new SeedFile(normalized, open, mode));
        return this;
    }

    /// <inheritdoc/>
    public IEnumerator<SeedFile> GetEnumerator() => _files.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
