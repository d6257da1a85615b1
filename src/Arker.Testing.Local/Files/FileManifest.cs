
namespace Arker.Testing.Local.Files;

/// <summary>The regular files under a directory of a VM, each with its size, mode and SHA-256: what a client compares before it syncs.</summary>
internal static class FileManifest
{
    /// <summary>The most entries one manifest holds (the contract's limit).</summary>
    public const int MaxEntries = 50_000;

    public static Task<ManifestListing> ListAsync(IVmRoot vm, string path, VmPath area, CancellationToken cancellationToken)
    {
        VmPath reach = area.Refusing(vm.HostReadOnlyFolders);
        string[] segments = reach.ParseDirectory(path);
        string root = "/" + string.Join('/', segments);
        return vm.WithRootAsync(async mergedRoot =>
        {
            using var files = VmFileSystem.Open(vm, mergedRoot, reach);
            IReadOnlyList<string> found = files.ListFiles(segments, path, MaxEntries + 1);
            var entries = new List<ManifestFile>(Math.Min(found.Count, MaxEntries));
            foreach (string relative in found.Take(MaxEntries))
            {
                try
                {
                    (int mode, long size, byte[] hash) = await files.HashAsync([.. segments, .. relative.Split('/')], $"{root.TrimEnd('/')}/{relative}", cancellationToken);
                    entries.Add(new ManifestFile(relative, size, mode, Convert.ToHexStringLower(hash)));
                }
                catch (LocalArkerException)
                {
                    // Changed while listed (removed, or replaced by a link): it is not a regular file here now.
                }
            }

            return new ManifestListing(root, entries, Truncated: found.Count > MaxEntries);
        }, cancellationToken);
    }
}

/// <summary>A directory's files, as <see cref="FileManifest"/> found them.</summary>
internal sealed record ManifestListing(string Root, IReadOnlyList<ManifestFile> Entries, bool Truncated);

/// <summary>One file of a manifest: its path relative to the root, size, <c>st_mode</c> and SHA-256 (hex).</summary>
internal sealed record ManifestFile(string Path, long Size, int Mode, string Sha256);
