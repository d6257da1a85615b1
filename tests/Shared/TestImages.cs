using System.Diagnostics;

namespace Arker.Testing.TestSupport;

/// <summary>Root filesystems and container images made for tests: a minimal root (bash and its libraries), and an OCI image of it with a whiteout layer.</summary>
internal static class TestImages
{
    /// <summary>A root filesystem with nothing but bash and the libraries it loads.</summary>
    public static void MakeMinimalRootFilesystem(string root)
    {
        var ldd = Process.Start(new ProcessStartInfo("ldd", ["/usr/bin/bash"]) { RedirectStandardOutput = true })!;
        string[] libraries = ldd.StandardOutput.ReadToEnd().Split('\n')
            .Select(l => l.Split("=>").Last().Trim().Split(' ')[0])
            .Where(p => p.StartsWith('/'))
            .ToArray();
        ldd.WaitForExit();
        foreach (string file in libraries.Append("/usr/bin/bash"))
        {
            string real = Path.GetFullPath(new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? file);
            // A merged /usr: /lib/x and /lib64/x live under usr/, reached through the links below.
            string inside = Path.Combine(root, file.StartsWith("/usr/", StringComparison.Ordinal) ? file[1..] : "usr" + file);
            Directory.CreateDirectory(Path.GetDirectoryName(inside)!);
            File.Copy(real, inside, overwrite: true);
        }

        Directory.CreateDirectory(Path.Combine(root, "usr", "share"));
        foreach (string link in new[] { "bin", "lib", "lib64" })
        {
            File.CreateSymbolicLink(Path.Combine(root, link), "usr/" + link);
        }
    }

    /// <summary>
    /// An OCI image layout in <paramref name="work"/> with one image, <c>v1</c>, of two layers: the
    /// minimal root with a marker and a second file, then a layer that deletes the second (a whiteout).
    /// </summary>
    public static async Task<string> MakeAsync(string work)
    {
        // An image of two layers: the minimal root with two files, then a layer that deletes one (a whiteout).
        string layout = Path.Combine(work, "layout");
        await UmociAsync("init", "--layout", layout);
        await UmociAsync("new", "--image", layout + ":v1");
        string bundle = Path.Combine(work, "bundle");
        await UmociAsync(["unpack", .. Rootless, "--image", layout + ":v1", bundle]);
        MakeMinimalRootFilesystem(Path.Combine(bundle, "rootfs"));
        File.WriteAllText(Path.Combine(bundle, "rootfs", "usr", "share", "marker"), "from the image\n");
        File.WriteAllText(Path.Combine(bundle, "rootfs", "usr", "share", "deleted-above"), "x\n");
        await UmociAsync("repack", "--image", layout + ":v1", bundle);
        Directory.Delete(bundle, recursive: true);
        await UmociAsync(["unpack", .. Rootless, "--image", layout + ":v1", bundle]);
        File.Delete(Path.Combine(bundle, "rootfs", "usr", "share", "deleted-above"));
        await UmociAsync("repack", "--image", layout + ":v1", bundle);
        return layout;
    }

    public static string[] Rootless => Environment.IsPrivilegedProcess ? [] : ["--rootless"];

    public static async Task UmociAsync(params string[] arguments)
    {
        using Process umoci = Process.Start(new ProcessStartInfo("umoci", arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        _ = umoci.StandardOutput.ReadToEndAsync();
        string errors = await umoci.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await umoci.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(umoci.ExitCode == 0, $"umoci {string.Join(' ', arguments)}: {errors}");
    }
}
