using System.Security.Cryptography;
using Arker.Testing.Local.Isolation;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// A root filesystem given as a tar archive (from mmdebstrap, debootstrap and tar, or an exported
/// container), unpacked once per machine into a folder named by the archive's SHA-256: written
/// aside and published by one rename (<see cref="PublishedFolder"/>), so a start killed while
/// unpacking leaves no half-unpacked root, and two starts at once each get a whole one. Device
/// nodes are not unpacked: every sandbox gets its own <c>/dev</c>.
/// </summary>
internal static class RootFilesystemArchive
{
    private const string Install = "apt-get install tar";

    /// <summary>Whether <paramref name="rootFilesystem"/> names an archive rather than a directory.</summary>
    public static bool IsArchive(string rootFilesystem) => File.Exists(rootFilesystem);

    /// <summary>The unpacked root of <paramref name="archive"/> below <paramref name="unpackedRoots"/>, unpacking it if this machine has not yet, held as used until the result's lock is disposed.</summary>
    public static UnpackedRoots.Root Unpack(string archive, string unpackedRoots)
    {
        string name;
        using (FileStream content = File.OpenRead(archive))
        {
            name = Convert.ToHexStringLower(SHA256.HashData(content))[..32];
        }

        return UnpackedRoots.Ensure(Path.Combine(unpackedRoots, name + VmIdMap.Current?.FolderSuffix), "", staging =>
        {
            string[] arguments = ["-x", "-f", archive, "-C", staging, "--numeric-owner", "--xattrs", "--xattrs-include=security.capability", "--exclude=./dev/*", "--exclude=dev/*"];
            Func<string, string> failure = errors => $"The root filesystem archive '{archive}' could not be unpacked: {errors} Give a tar archive of a Linux root (such as 'mmdebstrap --variant=minbase bookworm root.tar'), or a directory.";
            if (Environment.IsPrivilegedProcess)
            {
                HostTool.Run("tar", arguments, failure, Install);
                OwnershipShift.Apply(staging, SandboxIdentity.VmIdRangeStart);
            }
            else if (VmIdMap.Current is { } map)
            {
                // Unpacked by the VM's root, so each file gets the archive's owner as the VM sees it.
                HostTool.RunAsVmRoot(map, "tar", [.. arguments, "--same-owner"], failure, Install);
            }
            else
            {
                HostTool.Run("tar", arguments, failure, Install);
            }
        });
    }
}
