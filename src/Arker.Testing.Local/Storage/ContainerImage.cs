using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// A container image as a root filesystem, named the way skopeo names images:
/// <c>docker://REGISTRY/NAME:TAG</c>, <c>oci:LAYOUT:TAG</c>, <c>oci-archive:FILE</c>,
/// <c>docker-archive:FILE</c>. skopeo fetches it into one OCI layout shared by every image of this
/// machine (blobs stored by digest, so a second fetch, or another image sharing layers, fetches
/// nothing; the registry configuration, credentials and mirrors are skopeo's own:
/// <c>registries.conf</c>, <c>auth.json</c>). umoci unpacks it (whiteouts and opaque directories,
/// hard links, symbolic links, modes; as the invoking user without root) once per image digest,
/// aside and published by one rename (<see cref="PublishedFolder"/>). A registry on
/// the loopback address is spoken to over plain HTTP, as Docker does for 127.0.0.0/8.
/// </summary>
internal static class ContainerImage
{
    private const string Install = "the local Arker server uses skopeo and umoci to fork VMs from container images (apt-get install skopeo umoci).";

    private static readonly string[] Transports = ["docker://", "oci:", "oci-archive:", "docker-archive:"];

    /// <summary>
    /// What a root filesystem or image given by a person means, as skopeo names images: a path (a
    /// directory or an archive) stays a path; a reference with a transport stays as it is; a bare
    /// registry reference, as the contract gives them, is a <c>docker://</c> one, and an unqualified
    /// one is Docker Hub's, as Docker reads it (<c>ubuntu:24.04</c> is <c>docker.io/library/ubuntu:24.04</c>).
    /// </summary>
    public static string Normalize(string reference)
    {
        if (IsReference(reference) || reference.StartsWith('/') || reference.StartsWith('.'))
        {
            return reference;
        }

        string first = reference.Split('/')[0];
        bool namesRegistry = reference.Contains('/', StringComparison.Ordinal) && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost");
        return "docker://" + (namesRegistry ? reference : reference.Contains('/', StringComparison.Ordinal) ? "docker.io/" + reference : "docker.io/library/" + reference);
    }

    /// <summary>Whether <paramref name="rootFilesystem"/> names a container image rather than a folder or an archive.</summary>
    public static bool IsReference(string rootFilesystem) => Transports.Any(t => rootFilesystem.StartsWith(t, StringComparison.Ordinal));

    /// <summary>
    /// The unpacked root filesystem of <paramref name="reference"/> below <paramref name="imagesFolder"/>,
    /// fetching and unpacking what this machine lacks, held as used until the result's lock is disposed.
    /// </summary>
    public static UnpackedRoots.Root Unpack(string reference, string imagesFolder)
    {
        Directory.CreateDirectory(imagesFolder);
        using (OneAtATime(imagesFolder))
        {
            (string layout, string tag, string digest) = FetchHoldingTheLock(reference, imagesFolder);
            return UnpackedRoots.Ensure(RootOf(Path.Combine(imagesFolder, "roots"), digest), "rootfs", staging => HostTool.RunInServerNamespace(
                "umoci",
                ["raw", "unpack", .. OwnershipOptions(), "--image", $"{layout}:{tag}", Path.Combine(staging, "rootfs")],
                error => $"The image '{reference}' was fetched but could not be unpacked: {error}",
                Install));
        }
    }

    /// <summary>Removes the fetched images (the shared layout) once no root unpacked from them is left; its size, or 0.</summary>
    public static long RemoveFetchedIfUnused(string imagesFolder)
    {
        string layout = Path.Combine(imagesFolder, "layout");
        if (!Directory.Exists(layout))
        {
            return 0;
        }

        using (OneAtATime(imagesFolder)) // no fetch is under way
        {
            string roots = Path.Combine(imagesFolder, "roots");
            if (Directory.Exists(roots) && Directory.EnumerateDirectories(roots).Any(root => !Path.GetFileName(root).StartsWith('.')))
            {
                return 0;
            }

            long size = FolderSize.Of(layout);
            FolderRemoval.Delete(layout);
            return size;
        }
    }

    /// <summary>Fetches <paramref name="reference"/> into the shared layout below <paramref name="imagesFolder"/> (what <see cref="Unpack"/> does first); its manifest's digest.</summary>
    internal static string Fetch(string reference, string imagesFolder)
    {
        Directory.CreateDirectory(imagesFolder);
        using (OneAtATime(imagesFolder))
        {
            return FetchHoldingTheLock(reference, imagesFolder).Digest;
        }
    }

    private static (string Layout, string Tag, string Digest) FetchHoldingTheLock(string reference, string imagesFolder)
    {
        string layout = Path.Combine(imagesFolder, "layout");
        string tag = "ref-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference)))[..24];
        bool plainHttp = IsLoopbackRegistry(reference);
        string[] inspectTls = plainHttp ? ["--tls-verify=false"] : [];
        string[] copyTls = plainHttp ? ["--src-tls-verify=false"] : [];
        string Fetching(string error) =>
            $"The image '{reference}' could not be fetched: {error} Check its name; log in if the registry asks for credentials (skopeo login REGISTRY, as the user the server runs as: they go to auth.json); or point at a mirror in registries.conf (~/.config/containers/registries.conf, or /etc/containers/registries.conf); or give a root filesystem directory or archive instead (--rootfs), or leave --rootfs out for the host's userland.";

        // Only the manifest is asked for when this machine has the image already: no blob is fetched again.
        string[] current = CurrentManifestDigests(HostTool.Run("skopeo", ["inspect", "--raw", .. inspectTls, reference], Fetching, Install));
        if (TryManifestDigest(layout, tag) is not { } known || !current.Contains(known) || !Directory.Exists(RootOf(Path.Combine(imagesFolder, "roots"), known)))
        {
            HostTool.Run("skopeo", ["copy", "--quiet", .. copyTls, reference, $"oci:{layout}:{tag}"], Fetching, Install);
        }

        string digest = TryManifestDigest(layout, tag) ?? throw new SandboxUnavailableException($"skopeo fetched '{reference}' but the layout {layout} names no manifest '{tag}'");
        return (layout, tag, digest);
    }

    internal static bool IsLoopbackRegistry(string reference)
    {
        if (!reference.StartsWith("docker://", StringComparison.Ordinal))
        {
            return false;
        }

        string host = reference["docker://".Length..].Split('/')[0];
        host = host.StartsWith('[') ? host[1..host.IndexOf(']', StringComparison.Ordinal)] : host.Split(':')[0];
        return host == "localhost" || (IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address));
    }

    /// <summary>
    /// Where VMs have root inside, the image's ids become the VMs' (see <see cref="Isolation.VmIdMap"/>),
    /// and the folder's name says so; otherwise umoci's rootless mode: every file is the invoking user's.
    /// </summary>
    private static string RootOf(string roots, string digest) =>
        Path.Combine(roots, digest.Replace("sha256:", "", StringComparison.Ordinal)[..32] + Isolation.VmIdMap.Current?.FolderSuffix);

    private static string[] OwnershipOptions() =>
        Isolation.VmIdMap.Current is { } map ? [.. map.UmociOptions] : ["--rootless"];

    /// <summary>The digest of the manifest the layout's <paramref name="tag"/> names, or null before it has one.</summary>
    private static string? TryManifestDigest(string layout, string tag)
    {
        string indexFile = Path.Combine(layout, "index.json");
        if (!File.Exists(indexFile))
        {
            return null;
        }

        JsonDocument index;
        try
        {
            index = JsonDocument.Parse(File.ReadAllText(indexFile));
        }
        catch (JsonException)
        {
            // A fetch killed while it wrote the index: the blobs stay, the next fetch writes it again.
            File.Delete(indexFile);
            return null;
        }

        using (index)
        {
            return ManifestDigestTagged(index, tag);
        }
    }

    private static string? ManifestDigestTagged(JsonDocument index, string tag)
    {
        foreach (JsonElement manifest in index.RootElement.GetProperty("manifests").EnumerateArray())
        {
            if (manifest.TryGetProperty("annotations", out JsonElement annotations)
                && annotations.TryGetProperty("org.opencontainers.image.ref.name", out JsonElement name) && name.GetString() == tag)
            {
                return manifest.GetProperty("digest").GetString()!;
            }
        }

        return null;
    }

    /// <summary>
    /// The digest of the image manifest <paramref name="raw"/> leads to for this machine: its own
    /// (of its bytes as printed, and without the line end skopeo may add), or, for an index of
    /// platforms (a multi-architecture image), the entry for this machine's.
    /// </summary>
    internal static string[] CurrentManifestDigests(string raw)
    {
        using JsonDocument manifest = JsonDocument.Parse(raw);
        if (manifest.RootElement.TryGetProperty("manifests", out JsonElement platforms))
        {
            string architecture = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64";
            foreach (JsonElement entry in platforms.EnumerateArray())
            {
                if (entry.TryGetProperty("platform", out JsonElement platform)
                    && platform.GetProperty("os").GetString() == "linux" && platform.GetProperty("architecture").GetString() == architecture)
                {
                    return [entry.GetProperty("digest").GetString()!];
                }
            }
        }

        return [.. new[] { raw, raw.TrimEnd('\n') }.Distinct().Select(bytes => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bytes))))];
    }

    /// <summary>An exclusive lock on the images folder for as long as the result is held: two servers fetch into the shared layout one at a time, and a prune waits for both.</summary>
    private static FileStream OneAtATime(string imagesFolder)
    {
        string path = Path.Combine(imagesFolder, ".lock");
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 6000)
            {
                Thread.Sleep(50);
            }
        }
    }
}
