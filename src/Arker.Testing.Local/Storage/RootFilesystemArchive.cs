using System.Diagnostics;
using System.Security.Cryptography;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// A root filesystem given as a tar archive (from mmdebstrap, debootstrap and tar, or an exported
/// container), unpacked once per machine into a folder named by the archive's SHA-256: written
/// aside (<c>.tmp-…</c>) and published by one rename, so a start killed while unpacking leaves no
/// half-unpacked root, and two starts at once each get a whole one (the first rename wins). Device
/// nodes are not unpacked: every sandbox gets its own <c>/dev</c>.
/// </summary>
internal static class RootFilesystemArchive
{
    /// <summary>Whether <paramref name="rootFilesystem"/> names an archive rather than a directory.</summary>
    public static bool IsArchive(string rootFilesystem) => File.Exists(rootFilesystem);

    /// <summary>How old a staging folder is before it counts as left by a start that died while unpacking.</summary>
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    /// <summary>The unpacked root of <paramref name="archive"/> below <paramref name="unpackedRoots"/>, unpacking it if this machine has not yet.</summary>
    public static string Unpack(string archive, string unpackedRoots)
    {
        string name;
        using (FileStream content = File.OpenRead(archive))
        {
            name = Convert.ToHexStringLower(SHA256.HashData(content))[..32];
        }

        string target = Path.Combine(unpackedRoots, name);
        if (Directory.Exists(target))
        {
            return target;
        }

        Directory.CreateDirectory(unpackedRoots);
        RemoveAbandoned(unpackedRoots);
        string staging = Path.Combine(unpackedRoots, $".tmp-{name}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(staging);
        try
        {
            using var tar = Process.Start(new ProcessStartInfo("tar", ["-x", "-f", archive, "-C", staging, "--exclude=./dev/*", "--exclude=dev/*"]) { RedirectStandardError = true })!;
            string errors = tar.StandardError.ReadToEnd();
            tar.WaitForExit();
            if (tar.ExitCode != 0)
            {
                throw new SandboxUnavailableException($"The root filesystem archive '{archive}' could not be unpacked (tar exit code {tar.ExitCode}): {errors.Trim()} Give a tar archive of a Linux root (such as 'mmdebstrap --variant=minbase bookworm root.tar'), or a directory.");
            }

            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                FolderRemoval.Delete(staging); // another start unpacked the same archive first
            }

            return target;
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                FolderRemoval.Delete(staging);
            }

            throw;
        }
    }

    /// <summary>Removes staging folders that starts killed while unpacking left behind.</summary>
    private static void RemoveAbandoned(string unpackedRoots)
    {
        foreach (string staging in Directory.EnumerateDirectories(unpackedRoots, ".tmp-*"))
        {
            if (TimeProvider.System.GetUtcNow().UtcDateTime - Directory.GetLastWriteTimeUtc(staging) > AbandonedAfter)
            {
                FolderRemoval.Delete(staging);
            }
        }
    }
}
