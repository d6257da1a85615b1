namespace Arker.Testing.Inputs;

/// <summary>What kind of thing of this machine a <see cref="HostInput"/> is.</summary>
public enum HostInputKind
{
    /// <summary>A file, by its content.</summary>
    File,

    /// <summary>A folder, by the names, modes and contents of the files below it.</summary>
    Directory,

    /// <summary>An environment variable, by its value (only a digest of it is ever kept).</summary>
    EnvironmentVariable,
}

/// <summary>
/// Something of this machine that provisioning a template's base reads: a kept base is reused
/// only while every input it was provisioned from is unchanged. The library's own helpers record
/// what they read (<c>SeedFiles.FromDirectory</c>, <c>ComputerSync.UploadFileAsync</c>); a
/// template declares the rest in <c>VmTemplate.HostInputs</c>.
/// </summary>
public sealed class HostInput : IEquatable<HostInput>
{
    private HostInput(HostInputKind kind, string location, IReadOnlyList<string> excludedDirectories)
    {
        Kind = kind;
        Location = location;
        ExcludedDirectories = excludedDirectories;
    }

    /// <summary>What kind of input it is.</summary>
    public HostInputKind Kind { get; }

    /// <summary>The full path of the file or folder, or the variable's name.</summary>
    public string Location { get; }

    /// <summary>For a folder: the names of folders below it that do not count (as seeding skips them).</summary>
    public IReadOnlyList<string> ExcludedDirectories { get; }

    /// <summary>A file (a relative path starts at the current directory); a missing file is an input too.</summary>
    public static HostInput File(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new(HostInputKind.File, Path.GetFullPath(path), []);
    }

    /// <summary>Every file below a folder, recursively, except below folders named in <paramref name="excludedDirectories"/>.</summary>
    public static HostInput Directory(string path, IEnumerable<string>? excludedDirectories = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new(HostInputKind.Directory, Path.GetFullPath(path), [.. (excludedDirectories ?? []).Order(StringComparer.Ordinal)]);
    }

    /// <summary>An environment variable; only a digest of its value is kept, never the value.</summary>
    public static HostInput EnvironmentVariable(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(HostInputKind.EnvironmentVariable, name, []);
    }

    /// <inheritdoc/>
    public bool Equals(HostInput? other) =>
        other is not null && Kind == other.Kind && Location == other.Location && ExcludedDirectories.SequenceEqual(other.ExcludedDirectories);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as HostInput);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Location);

    /// <summary>The input as the run summary names it: a path relative to the test's output folder where it is below it, or <c>$NAME</c>.</summary>
    public override string ToString() => Kind == HostInputKind.EnvironmentVariable ? "$" + Location : HostInputDisplay.Path(Location);
}
