using System.Formats.Tar;
using Arker.Testing.Client;
using Arker.Testing.Shared;

namespace Arker.Testing.Seeding;

/// <summary>Puts many files into a VM in two requests: one archive up, one command to unpack it.</summary>
public static class ComputerSeeding
{
    /// <summary>
    /// Writes <paramref name="files"/> below <paramref name="targetDirectory"/> (created if missing),
    /// keeping each file's mode. Existing files of the same names are replaced.
    /// </summary>
    public static async Task SeedAsync(this Computer vm, SeedFiles files, string targetDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        string archivePath = Path.GetTempFileName();
        try
        {
            await using (var archive = new FileStream(archivePath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 128 * 1024, FileOptions.Asynchronous))
            {
                await using (var tar = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
                {
                    foreach (SeedFile file in files)
                    {
                        await using Stream content = file.Open();
                        var entry = new PaxTarEntry(TarEntryType.RegularFile, file.RelativePath) { Mode = file.Mode, DataStream = content };
                        await tar.WriteEntryAsync(entry, cancellationToken);
                    }
                }

                archive.Position = 0;
                string remote = $"/home/user/.arker-seed-{Guid.NewGuid():N}.tar";
                await vm.Sync.WriteFileAsync(remote, archive, cancellationToken);
                string target = ShellQuoting.Quote(targetDirectory);
                // A session of its own, so the test's sessions (cwd, variables) are left as they were.
                RunResult unpacked = await vm.RunAsync(
                    $"mkdir -p {target} && tar -xf {remote} -C {target} --no-same-owner; status=$?; rm -f {remote}; (exit $status)",
                    new RunOptions { SessionId = "arker-seed" },
                    cancellationToken);
                if (unpacked.ExitCode != 0)
                {
                    throw new InvalidOperationException(Assertions.RunResultAssertions.Describe(unpacked, $"to unpack {files.Count} seed files into {targetDirectory}"));
                }
            }
        }
        finally
        {
            File.Delete(archivePath);
        }
    }
}
