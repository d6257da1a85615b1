using Arker.Testing.Local.Storage;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>The size of a cache entry or an unpacked root, which another server may be removing while it is measured.</summary>
public sealed class FolderSizeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("arker-folder-size-").FullName;

    [Fact]
    public void The_files_below_a_folder_are_counted_and_links_are_not_followed()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "a", "b"));
        File.WriteAllBytes(Path.Combine(_folder, "one"), new byte[3]);
        File.WriteAllBytes(Path.Combine(_folder, "a", "b", "two"), new byte[5]);
        File.CreateSymbolicLink(Path.Combine(_folder, "elsewhere"), "/usr");

        Assert.Equal(8, FolderSize.Of(_folder));
    }

    [Fact]
    public void A_folder_removed_before_or_while_it_is_measured_is_no_error()
    {
        Assert.Equal(0, FolderSize.Of(Path.Combine(_folder, "gone")));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
