namespace Arker.Testing.Seeding;

/// <summary>Which files of a directory <see cref="SeedFiles.FromDirectory"/> takes.</summary>
public sealed class SeedOptions
{
    /// <summary>Directory names skipped wherever they appear.</summary>
    /// <value>The default is <c>.git</c>, <c>bin</c> and <c>obj</c>.</value>
    public ISet<string> ExcludedDirectories { get; } = new HashSet<string>(StringComparer.Ordinal) { ".git", "bin", "obj" };
}
