namespace Arker.Testing.Seeding;

/// <summary>One file to seed: its path relative to the target directory, its bytes and its mode.</summary>
/// <param name="RelativePath">The path below the target directory, with <c>/</c> separators.</param>
/// <param name="Open">Opens the file's content (called once, when the archive is written).</param>
/// <param name="Mode">The Unix permission bits, such as <c>0755</c> for a script.</param>
public sealed record SeedFile(string RelativePath, Func<Stream> Open, UnixFileMode Mode);
