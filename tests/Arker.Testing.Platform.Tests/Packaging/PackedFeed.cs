namespace Arker.Testing.Platform.Tests.Packaging;

/// <summary>
/// This repository's packages, packed with a version of their own into a folder that serves as a
/// NuGet source, so a project outside the repository can use them as a user would. Disposing it
/// removes the folder and those packages from the NuGet cache.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    private static readonly string[] Projects =
        ["Arker.Testing.Abstractions", "Arker.Testing.Local", "Arker.Testing.Local.Tool", "Arker.Testing", "Arker.Testing.Platform", "Arker.Testing.Xunit", "Arker.Testing.NUnit", "Arker.Testing.MSTest", "Arker.Testing.TUnit"];

    private static readonly string[] PackageIds =
        ["arker.testing.local", "arker-local", "arker.testing", "arker.testing.platform", "arker.testing.xunit", "arker.testing.nunit", "arker.testing.mstest", "arker.testing.tunit"];

    public string Version { get; } = "0.0.0-test." + Guid.NewGuid().ToString("N")[..10];

    public string Folder { get; } = Directory.CreateTempSubdirectory("arker-feed-").FullName;

    public async ValueTask InitializeAsync()
    {
        string root = BuildMetadata.Get("RepositoryRoot");
        foreach (string project in Projects)
        {
            AppRun pack = await Dotnet.RunAsync(
                ["pack", Path.Combine(root, "src", project), "-c", BuildMetadata.Get("Configuration"), "--no-build", "-o", Folder, "-p:Version=" + Version],
                workingDirectory: Folder);
            Assert.True(pack.ExitCode == 0, $"dotnet pack {project}: {pack}");
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in PackageIds)
        {
            string cached = Path.Combine(cache, id, Version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }

            string versions = Path.Combine(cache, id);
            if (Directory.Exists(versions) && !Directory.EnumerateFileSystemEntries(versions).Any())
            {
                Directory.Delete(versions); // no other version of ours is cached
            }
        }

        return ValueTask.CompletedTask;
    }
}
