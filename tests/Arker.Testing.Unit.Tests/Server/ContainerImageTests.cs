using System.Security.Cryptography;
using System.Text;
using Arker.Testing.Local.Storage;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>How image references are read: which registries are spoken to over plain HTTP, which manifest an image is on this machine.</summary>
public sealed class ContainerImageTests
{
    [Theory]
    [InlineData("docker://127.0.0.1:5000/debian:bookworm", true)]
    [InlineData("docker://127.1.2.3/debian", true)]
    [InlineData("docker://localhost:5000/debian", true)]
    [InlineData("docker://[::1]:5000/debian", true)]
    [InlineData("docker://docker.io/library/ubuntu:24.04", false)]
    [InlineData("docker://registry.example.com:5000/x", false)]
    [InlineData("oci:/var/images/layout:v1", false)]
    public void Only_a_registry_on_the_loopback_address_is_spoken_to_over_plain_HTTP(string reference, bool plainHttp) =>
        Assert.Equal(plainHttp, ContainerImage.IsLoopbackRegistry(reference));

    [Theory]
    [InlineData("docker://x/y", true)]
    [InlineData("oci:/layout:tag", true)]
    [InlineData("oci-archive:/images/debian.tar", true)]
    [InlineData("/srv/rootfs", false)]
    [InlineData("/srv/rootfs.tar", false)]
    public void An_image_is_named_by_a_skopeo_transport(string rootFilesystem, bool isImage) =>
        Assert.Equal(isImage, ContainerImage.IsReference(rootFilesystem));

    [Theory]
    [InlineData("ubuntu:24.04", "docker://docker.io/library/ubuntu:24.04")]
    [InlineData("ubuntu", "docker://docker.io/library/ubuntu")]
    [InlineData("bitnami/postgresql:16", "docker://docker.io/bitnami/postgresql:16")]
    [InlineData("ghcr.io/org/image:v1", "docker://ghcr.io/org/image:v1")]
    [InlineData("127.0.0.1:5000/debian:bookworm", "docker://127.0.0.1:5000/debian:bookworm")]
    [InlineData("localhost/debian", "docker://localhost/debian")]
    [InlineData("image@sha256:0123", "docker://docker.io/library/image@sha256:0123")]
    [InlineData("docker://quay.io/x/y", "docker://quay.io/x/y")]
    [InlineData("oci:/layout:tag", "oci:/layout:tag")]
    [InlineData("/srv/rootfs.tar", "/srv/rootfs.tar")]
    [InlineData("./rootfs", "./rootfs")]
    public void A_bare_reference_is_a_registrys_and_an_unqualified_one_Docker_Hubs(string given, string meant) =>
        Assert.Equal(meant, ContainerImage.Normalize(given));

    [Fact]
    public void A_manifests_digest_is_of_its_bytes_with_or_without_the_line_end_skopeo_prints()
    {
        const string manifest = """{"schemaVersion":2,"layers":[]}""";

        string[] digests = ContainerImage.CurrentManifestDigests(manifest + "\n");

        Assert.Contains("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest))), digests);
        Assert.Contains("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest + "\n"))), digests);
    }

    [Fact]
    public void A_multi_platform_image_is_its_linux_manifest_for_this_machines_architecture()
    {
        string architecture = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64";
        string other = architecture == "arm64" ? "amd64" : "arm64";
        string index = $$$"""
            {"schemaVersion":2,"manifests":[
              {"digest":"sha256:other","platform":{"os":"linux","architecture":"{{{other}}}"}},
              {"digest":"sha256:windows","platform":{"os":"windows","architecture":"{{{architecture}}}"}},
              {"digest":"sha256:ours","platform":{"os":"linux","architecture":"{{{architecture}}}"}}
            ]}
            """;

        Assert.Equal(["sha256:ours"], ContainerImage.CurrentManifestDigests(index));
    }
}
