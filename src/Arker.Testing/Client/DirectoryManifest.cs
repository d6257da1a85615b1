namespace Arker.Testing.Client;

/// <summary>
/// The regular files below a directory of a VM, recursively, each with its size, mode and SHA-256:
/// what <see cref="ComputerSync.ManifestAsync"/> returns, to compare a VM's files without reading them.
/// </summary>
/// <param name="Root">The directory listed, as an absolute path in the VM.</param>
/// <param name="Files">The files, by path relative to <paramref name="Root"/> (no leading slash).</param>
/// <param name="Truncated">True when the service stopped at its entry limit (50,000): list narrower directories for the rest.</param>
public sealed record DirectoryManifest(string Root, IReadOnlyList<ManifestFile> Files, bool Truncated);

/// <summary>One regular file of a <see cref="DirectoryManifest"/>.</summary>
/// <param name="Path">The file's path relative to the manifest's root, without a leading slash.</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="Mode">The Unix mode bits (type and permissions) as the VM's filesystem reports them.</param>
/// <param name="Sha256">The lowercase hexadecimal SHA-256 of the file's content.</param>
public sealed record ManifestFile(string Path, long Size, long Mode, string Sha256);
