namespace Arker.Testing.Client;

/// <summary>
/// Where a base comes from, as fixtures name it: a VM or base name (<c>ubuntu-base</c>, a
/// template's kept base), forked by name; or an OCI image reference (<c>docker.io/library/postgres:16</c>,
/// <c>ubuntu:24.04</c>, <c>127.0.0.1:5000/debian:bookworm</c>, <c>image@sha256:…</c>), forked from the
/// image. Names of VMs never hold <c>:</c>, <c>/</c> or <c>@</c>; references always hold one.
/// </summary>
internal static class ImageReference
{
    public static bool IsImage(string baseImage) => baseImage.AsSpan().IndexOfAny(":/@") >= 0;
}
