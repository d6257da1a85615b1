using System.Diagnostics;

namespace Arker.Testing.TestSupport;

/// <summary>
/// The Debian image of this machine's distribution with sudo, built by <c>tests/images/debian-image.sh</c>
/// once per machine (kept in the tests' cache folder, keyed by its inputs), as a tar archive and an
/// OCI layout, with an apt repository of the packages tests install in VMs (hello, PostgreSQL).
/// </summary>
internal static class DebianImage
{
    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>The folder that holds <c>image.tar</c>, <c>layout/</c> and <c>repo/</c>, built if this machine has none.</summary>
    public static Task<string> FolderAsync() => Built.Value;

    public static async Task<string> ArchiveAsync() => Path.Combine(await FolderAsync(), "image.tar");

    /// <summary>The image as skopeo names it in its OCI layout.</summary>
    public static async Task<string> LayoutReferenceAsync() => $"oci:{Path.Combine(await FolderAsync(), "layout")}:debian";

    public static async Task<string> RepositoryAsync() => Path.Combine(await FolderAsync(), "repo");

    /// <summary>A folder the run that started this one built already (a root run gives its own to the run as an ordinary user).</summary>
    public const string FolderVariable = "ARKER_TESTS_DEBIAN_IMAGE";

    private static async Task<string> BuildAsync()
    {
        if (Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } built)
        {
            return built;
        }

        string script = Path.Combine(RepositoryRoot(), "tests", "images", "debian-image.sh");
        string cache = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") ?? Path.GetTempPath(), "test-images");
        using var build = Process.Start(new ProcessStartInfo("bash", [script, cache]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        Task<string> errors = build.StandardError.ReadToEndAsync();
        string folder = (await build.StandardOutput.ReadToEndAsync()).Trim();
        await build.WaitForExitAsync();
        return build.ExitCode == 0 && File.Exists(Path.Combine(folder, "image.tar"))
            ? folder
            : throw new InvalidOperationException($"The tests' Debian image could not be built ({script}, exit code {build.ExitCode}): {await errors}");
    }

    internal static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Arker.Testing.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository (Arker.Testing.sln) is not above this test's output folder");
    }
}
