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
internal static partial class RootFilesystemArchive
{
    private const string Install = "apt-get install tar";

    /// <summary>
    /// The device nodes <paramref name="archive"/> holds outside <c>/dev</c>, as tar names them:
    /// never unpacked (a VM's devices are its own <c>/dev</c>; without root none could be made).
    /// </summary>
    private static IEnumerable<string> DeviceNodes(string archive, Func<string, string> failure) =>
        HostTool.Run("tar", ["-t", "-v", "--numeric-owner", "--quoting-style=literal", "-f", archive], failure, Install)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => DeviceEntry().Match(line))
            .Where(device => device.Success)
            .Select(device => device.Groups["name"].Value)
            .Where(name => !name.StartsWith("./dev/", StringComparison.Ordinal) && !name.StartsWith("dev/", StringComparison.Ordinal));

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
            Func<string, string> failure = errors => $"The root filesystem archive '{archive}' could not be unpacked: {errors} Give a tar archive of a Linux root (such as 'mmdebstrap --variant=minbase bookworm root.tar'), or a directory.";
            string[] arguments = ["-x", "-f", archive, "-C", staging, "--numeric-owner", "--xattrs", "--xattrs-include=security.capability", "--exclude=./dev/*", "--exclude=dev/*", "--no-wildcards", .. DeviceNodes(archive, failure).Select(node => "--exclude=" + node)];
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

    /// <summary>A character or block device in tar's verbose listing: mode, owner, major and minor, date, time, name.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^[cb]\S*\s+\S+\s+\d+,\s*\d+\s+\S+\s+\S+\s(?<name>.+)$")]
    private static partial System.Text.RegularExpressions.Regex DeviceEntry();
}
