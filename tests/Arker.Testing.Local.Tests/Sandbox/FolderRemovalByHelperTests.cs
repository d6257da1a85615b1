using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Native;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// The namespace helper removes a VM's folders, with no <c>rm</c> started per VM: what the server
/// may not remove itself (without root, files of its subordinate ids; folders of mode 000), on
/// their own file system only, following no link. Root and rootless (this class is in the rootless
/// run): as root a helper started for networks does it, without root the server's own.
/// </summary>
public sealed class FolderRemovalByHelperTests : IAsyncLifetime
{
    private MountNamespace _space = null!;
    private NamespaceHelper? _rootHelper;
    private Func<string, int> _remove = null!;
    private string _work = null!;

    public async ValueTask InitializeAsync()
    {
        _work = Directory.CreateTempSubdirectory("arker-removal-").FullName;
        if (Environment.IsPrivilegedProcess)
        {
            _space = new HostMountNamespace();
            (_, string perl) = SandboxPrerequisites.Check();
            _rootHelper = await NamespaceHelper.StartAsync([], perl, error => error);
            _remove = _rootHelper.RemoveTree;
        }
        else
        {
            _space = await UserMountNamespace.StartAsync();
            _remove = _space.RemoveAsNamespaceRoot ?? throw new InvalidOperationException("the rootless run's user should have subordinate ids");
        }
    }

    [Fact]
    public async Task ATreeTheServerCannotRemove_IsRemovedWhole_AndNoLinkIsFollowed()
    {
        string tree = Path.Combine(_work, "vm");
        string outside = Path.Combine(_work, "outside.txt");
        await File.WriteAllTextAsync(outside, "kept", TestContext.Current.CancellationToken);
        Directory.CreateDirectory(Path.Combine(tree, "upper", "home", "user"));
        await File.WriteAllTextAsync(Path.Combine(tree, "upper", "home", "user", "notes"), "x", TestContext.Current.CancellationToken);
        File.CreateSymbolicLink(Path.Combine(tree, "upper", "link"), outside);
        Directory.CreateDirectory(Path.Combine(tree, "work", "work"));
        File.SetUnixFileMode(Path.Combine(tree, "work", "work"), UnixFileMode.None); // as overlayfs leaves it
        await GiveToAnotherOwnerAsync(Path.Combine(tree, "upper", "home")); // as a VM's root owns it

        int errno = _remove(tree);

        Assert.Equal(0, errno);
        Assert.False(Directory.Exists(tree));
        Assert.Equal("kept", await File.ReadAllTextAsync(outside, TestContext.Current.CancellationToken));
        Assert.Equal(0, _remove(tree)); // gone already is fine
    }

    [Fact]
    public async Task AMountInsideTheTree_StopsTheRemoval_AndWhatIsMountedThereIsKept()
    {
        string tree = Path.Combine(_work, "vm");
        string mounted = Path.Combine(tree, "merged");
        Directory.CreateDirectory(mounted);
        Assert.Equal(0, _space.Mount("tmpfs", mounted, "tmpfs", 0, "size=1m"));
        try
        {
            await File.WriteAllTextAsync(Path.Combine(_space.View(mounted), "on-the-mount"), "kept", TestContext.Current.CancellationToken);

            int errno = _remove(tree);

            Assert.Equal(LibC.EBusy, errno);
            Assert.Equal("kept", await File.ReadAllTextAsync(Path.Combine(_space.View(mounted), "on-the-mount"), TestContext.Current.CancellationToken));
        }
        finally
        {
            Assert.Equal(0, _space.Unmount(mounted, 0));
        }

        Assert.Equal(0, _remove(tree)); // once unmounted
    }

    public async ValueTask DisposeAsync()
    {
        if (_rootHelper is not null)
        {
            await _rootHelper.DisposeAsync();
        }

        await _space.DisposeAsync();
        FolderRemovalOfTheTest(_work);
    }

    /// <summary>As root another uid; without root a subordinate id (through a user namespace of the same ids).</summary>
    private static async Task GiveToAnotherOwnerAsync(string folder)
    {
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute); // its owner's alone, read-only
        string[] command = Environment.IsPrivilegedProcess
            ? ["chown", "-R", "4242:4242", folder]
            : ["unshare", "--user", "--map-root-user", .. SubordinateIds.Current!.UnshareOptions, "--", "chown", "-R", "1:1", folder];
        (int exitCode, _) = await ProgramRun.ToEndAsync(command[0], command[1..]);
        Assert.Equal(0, exitCode);
    }

    private static void FolderRemovalOfTheTest(string path)
    {
        if (Directory.Exists(path))
        {
            Storage.FolderRemoval.Delete(path);
        }
    }
}
