using System.Diagnostics;
using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Sandbox;
using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Hosting;

public sealed class ServerLifecycleTests(LocalServerFixture fixture)
{
    [Fact]
    public async Task Dispose_LeavesNoMountCgroupProcessOrFolder()
    {
        using var temporary = new TemporaryDataRoot();
        string dataRoot = temporary.Path;
        var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = dataRoot }, TestContext.Current.CancellationToken);
        var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
        string vm = await api.ForkAsync();
        await api.WriteAsync(vm, "/home/user/f", "x"u8.ToArray());
        _ = api.RunRawAsync(vm, "sleep 6201");
        string child = await api.ForkAsync(await api.ForkAsync());
        (await api.RunAsync(child, "sleep 6202 &")).Succeeded();
        string instance = Assert.Single(Directory.GetDirectories(dataRoot));
        Assert.NotEmpty(MountsUnder(instance));

        await server.DisposeAsync();

        Assert.Empty(MountsUnder(dataRoot));
        Assert.Empty(Directory.GetDirectories(dataRoot));
        Assert.Empty(CgroupsOf(Path.GetFileName(instance)));
        Assert.Equal(0, HostProcesses.Count("sleep 6201", "sleep 6202"));
    }

    [Fact]
    public async Task DiskStorage_ForksAndCleansUpLikeMemoryStorage()
    {
        using var temporary = new TemporaryDataRoot();
        var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = temporary.Path, Storage = VmStorage.Disk }, TestContext.Current.CancellationToken);
        var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
        string parent = await api.ForkAsync();
        (await api.RunAsync(parent, "echo on-disk > ~/f")).Succeeded();
        string child = await api.ForkAsync(parent);

        Assert.Contains("on disk", server.Isolation);
        Assert.Equal("on-disk\n"u8.ToArray(), await api.ReadAsync(child, "/home/user/f"));
        await server.DisposeAsync();
        Assert.Empty(MountsUnder(temporary.Path));
        Assert.Empty(Directory.GetDirectories(temporary.Path));
    }

    [Fact]
    public async Task Start_CleansUpWhatACrashedInstanceLeft()
    {
        using var temporary = new TemporaryDataRoot();
        string dataRoot = temporary.Path;
        int helpersBefore = ServerMounts.Helpers;
        string crashed = await LeaveACrashedInstanceAsync(dataRoot);
        if (ServerMounts.Rootless)
        {
            // Without root the mounts lived in the dead server's namespace, which went with its helper.
            await WaitUntilAsync(() => ServerMounts.Helpers <= helpersBefore);
            Assert.Empty(MountsUnder(crashed));
        }
        else
        {
            Assert.NotEmpty(MountsUnder(crashed));
        }

        await using (var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = dataRoot }, TestContext.Current.CancellationToken))
        {
            Assert.Empty(MountsUnder(crashed));
            Assert.False(Directory.Exists(crashed));
            Assert.Empty(CgroupsOf(Path.GetFileName(crashed)));
            Assert.Equal(0, HostProcesses.Count("sleep 6401"));
        }
    }

    [Fact]
    public async Task RootFilesystemDirectory_IsTheBaseImage_InsteadOfTheHostsUsr()
    {
        using var temporary = new TemporaryDataRoot();
        string rootfs = Directory.CreateTempSubdirectory("arker-rootfs-").FullName;
        try
        {
            TestImages.MakeMinimalRootFilesystem(rootfs);
            File.WriteAllText(Path.Combine(rootfs, "usr", "share", "marker"), "from the rootfs\n");
            await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = temporary.Path, RootFilesystem = rootfs }, TestContext.Current.CancellationToken);
            var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
            string vm = await api.ForkAsync();

            RunResult result = (await api.RunAsync(vm, "read -r line < /usr/share/marker; echo \"$line\"; test -e /usr/bin/python3 && echo host-usr || echo own-usr; echo $UID; pwd")).Succeeded();

            Assert.Equal("from the rootfs\nown-usr\n1000\n/home/user\n", result.StdoutText);
        }
        finally
        {
            Directory.Delete(rootfs, recursive: true);
        }
    }

    [Fact]
    public async Task RootFilesystemArchive_IsUnpackedOncePerMachine_AndIsTheBaseImage()
    {
        using var temporary = new TemporaryDataRoot();
        string work = Directory.CreateTempSubdirectory("arker-rootfs-archive-").FullName;
        try
        {
            string rootfs = Path.Combine(work, "root");
            Directory.CreateDirectory(rootfs);
            TestImages.MakeMinimalRootFilesystem(rootfs);
            File.WriteAllText(Path.Combine(rootfs, "usr", "share", "marker"), "from the archive\n");
            string archive = Path.Combine(work, "root.tar.gz");
            using (Process tar = Process.Start("tar", ["-czf", archive, "-C", rootfs, "."]))
            {
                await tar.WaitForExitAsync(TestContext.Current.CancellationToken);
                Assert.Equal(0, tar.ExitCode);
            }

            string cache = Path.Combine(work, "cache");
            var options = new LocalArkerServerOptions { DataRoot = temporary.Path, RootFilesystem = archive, BaseCacheDirectory = cache };
            Assert.Equal("from the archive\nown-usr\n", await RunInAFreshServerAsync(options, "read -r line < /usr/share/marker; echo \"$line\"; test -e /usr/bin/python3 && echo host-usr || echo own-usr"));
            DateTime unpackedAt = Directory.GetLastWriteTimeUtc(Assert.Single(Directory.GetDirectories(Path.Combine(cache, "roots"))));

            await RunInAFreshServerAsync(options, "read -r line < /usr/share/marker");

            string unpacked = Assert.Single(Directory.GetDirectories(Path.Combine(cache, "roots"))); // nothing half-unpacked beside it
            Assert.Equal(unpackedAt, Directory.GetLastWriteTimeUtc(unpacked)); // the second start unpacked nothing
        }
        finally
        {
            Storage.FolderRemoval.Delete(work);
        }
    }

    [Fact]
    public async Task Start_WithARootFilesystemArchiveTarCannotRead_FailsSayingWhatIsWrong_AndLeavesNothing()
    {
        using var temporary = new TemporaryDataRoot();
        string work = Directory.CreateTempSubdirectory("arker-rootfs-bad-").FullName;
        try
        {
            string archive = Path.Combine(work, "root.tar");
            File.WriteAllText(archive, "not a tar archive");
            string cache = Path.Combine(work, "cache");

            var error = await Assert.ThrowsAsync<SandboxUnavailableException>(() =>
                LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = temporary.Path, RootFilesystem = archive, BaseCacheDirectory = cache }, TestContext.Current.CancellationToken));

            Assert.Contains($"The root filesystem archive '{archive}' could not be unpacked", error.Message, StringComparison.Ordinal);
            Assert.Contains("mmdebstrap", error.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(cache, "roots")));
        }
        finally
        {
            Storage.FolderRemoval.Delete(work);
        }
    }

    [Fact]
    public async Task ContainerImage_WithAWhiteoutLayer_IsTheBaseImage_FetchedAndUnpackedOncePerMachine()
    {
        using var temporary = new TemporaryDataRoot();
        string work = Directory.CreateTempSubdirectory("arker-image-").FullName;
        try
        {
            string layout = await TestImages.MakeAsync(work);

            string cache = Path.Combine(work, "cache");
            var options = new LocalArkerServerOptions { DataRoot = temporary.Path, RootFilesystem = $"oci:{layout}:v1", BaseCacheDirectory = cache };
            Assert.Equal("from the image\ndeleted\nown-usr\n", await RunInAFreshServerAsync(options, "read -r line < /usr/share/marker; echo \"$line\"; test -e /usr/share/deleted-above && echo present || echo deleted; test -e /usr/bin/python3 && echo host-usr || echo own-usr"));
            DateTime unpackedAt = Directory.GetLastWriteTimeUtc(Assert.Single(Directory.GetDirectories(Path.Combine(cache, "images", "roots"))));

            await RunInAFreshServerAsync(options, "read -r line < /usr/share/marker");

            Assert.Equal(unpackedAt, Directory.GetLastWriteTimeUtc(Assert.Single(Directory.GetDirectories(Path.Combine(cache, "images", "roots")))));
        }
        finally
        {
            Storage.FolderRemoval.Delete(work);
        }
    }

    [Fact]
    public async Task ContainerImage_FromARegistryOnTheLoopbackAddress_IsFetchedOnce_ThroughTheRegistryProtocol()
    {
        using var temporary = new TemporaryDataRoot();
        string work = Directory.CreateTempSubdirectory("arker-registry-").FullName;
        try
        {
            string layout = await TestImages.MakeAsync(work);
            await using LoopbackRegistry registry = await LoopbackRegistry.StartAsync(Path.Combine(work, "registry"));
            string reference = "docker://" + await registry.PushAsync($"oci:{layout}:v1", "arker/minimal:v1");

            var options = new LocalArkerServerOptions { DataRoot = temporary.Path, RootFilesystem = reference, BaseCacheDirectory = Path.Combine(work, "cache") };
            int blobsBefore = registry.BlobsServed();
            Assert.Equal("from the image\ndeleted\n", await RunInAFreshServerAsync(options, "read -r line < /usr/share/marker; echo \"$line\"; test -e /usr/share/deleted-above && echo present || echo deleted"));

            int blobsFirst = registry.BlobsServed();
            await RunInAFreshServerAsync(options, "read -r line < /usr/share/marker");

            Assert.True(blobsFirst > blobsBefore, "the first start should have fetched the image's blobs from the registry");
            Assert.Equal(blobsFirst, registry.BlobsServed()); // the second start fetched no blob
        }
        finally
        {
            Storage.FolderRemoval.Delete(work);
        }
    }

    [Fact]
    public async Task Start_WithAnImageThatCannotBeHad_FailsNamingItAndWhatToDo()
    {
        using var temporary = new TemporaryDataRoot();
        string work = Directory.CreateTempSubdirectory("arker-image-missing-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<SandboxUnavailableException>(() => LocalArkerServer.StartAsync(
                new LocalArkerServerOptions { DataRoot = temporary.Path, RootFilesystem = $"oci:{work}/no-layout:v1", BaseCacheDirectory = Path.Combine(work, "cache") },
                TestContext.Current.CancellationToken));

            Assert.Contains($"The image 'oci:{work}/no-layout:v1' could not be fetched", error.Message, StringComparison.Ordinal);
            Assert.Contains("registries.conf", error.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(temporary.Path));
        }
        finally
        {
            Storage.FolderRemoval.Delete(work);
        }
    }

    [Fact]
    public async Task Start_WithAMissingRootFilesystem_FailsSayingWhatIsWrong()
    {
        using var temporary = new TemporaryDataRoot();

        var error = await Assert.ThrowsAsync<SandboxUnavailableException>(() =>
            LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = temporary.Path, RootFilesystem = "/nonexistent/rootfs" }, TestContext.Current.CancellationToken));

        Assert.Contains("'/nonexistent/rootfs' does not exist", error.Message);
        Assert.Contains("debootstrap", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temporary.Path));
        Assert.Empty(MountsUnder(temporary.Path));
    }

    [Fact]
    public async Task Start_WithADataRootTheVmUserCannotReach_FailsSayingWhichFolderAndWhatToDo()
    {
        using var temporary = new TemporaryDataRoot();
        string closed = Directory.CreateDirectory(temporary.Path + "-closed").FullName;
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            if (ServerMounts.Rootless)
            {
                // Without root the VM user is the server's own user, who can enter the folder.
                await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = Path.Combine(closed, "data") }, TestContext.Current.CancellationToken);
                var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
                Assert.Equal("1000\n", (await api.RunAsync(await api.ForkAsync(), "echo $UID")).Succeeded().StdoutText);
                return;
            }

            var error = await Assert.ThrowsAsync<SandboxUnavailableException>(() =>
                LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = Path.Combine(closed, "data") }, TestContext.Current.CancellationToken));

            Assert.Contains($"is inside {closed}, which other users cannot enter (mode 700)", error.Message);
            Assert.Contains($"chmod o+x {closed}", error.Message);
            Assert.False(Directory.Exists(Path.Combine(closed, "data")));
        }
        finally
        {
            Directory.Delete(closed, recursive: true);
        }
    }

    [Fact]
    public async Task DeepForkChains_AreMergedInTheBackground_StacksStayShort_AndKeepEveryFile()
    {
        using var temporary = new TemporaryDataRoot();
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = temporary.Path, MaxLayerDepth = 4 }, TestContext.Current.CancellationToken);
        var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
        string vm = await api.ForkAsync();
        int deepest = 0;
        for (int i = 0; i < 12; i++)
        {
            (await api.RunAsync(vm, $"echo {i} > ~/f{i}; rm -f ~/f{i - 2}")).Succeeded();
            vm = await api.ForkAsync(vm);
            deepest = Math.Max(deepest, DeepestStack(temporary.Path));
        }

        RunResult listing = (await api.RunAsync(vm, "ls ~ | sort -V | tr '\\n' ' '; cat ~/f11; head -1 /etc/passwd; bash -c 'echo base image intact'")).Succeeded();

        Assert.Equal("f10 f11 11\nroot:x:0:0:root:/root:/bin/bash\nbase image intact\n", listing.StdoutText);
        Assert.InRange(deepest, 2, 4);
    }

    /// <summary>Starts a server with <paramref name="options"/>, runs <paramref name="command"/> in a new fork of its base (it must succeed), stops the server; returns what the command printed.</summary>
    private async Task<string> RunInAFreshServerAsync(LocalArkerServerOptions options, string command)
    {
        await using var server = await LocalArkerServer.StartAsync(options, TestContext.Current.CancellationToken);
        var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
        return (await api.RunAsync(await api.ForkAsync(), command)).Succeeded().StdoutText;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The most layers any VM's overlay under the data root stacks (its lowerdir entries; not the read-only views a merge reads).</summary>
    private static int DeepestStack(string dataRoot) =>
        ServerMounts.Lines()
            .Where(l => l.Split(' ')[4].StartsWith(dataRoot, StringComparison.Ordinal) && l.Contains("upperdir=", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("lowerdir=", StringComparison.Ordinal) + 9)..].Split(',')[0].Split(':').Length)
            .DefaultIfEmpty(0)
            .Max();

    /// <summary>Runs a server in a child process and kills it with SIGKILL, so nothing is cleaned up.</summary>
    private static async Task<string> LeaveACrashedInstanceAsync(string dataRoot)
    {
        using ServerProcess server = await ServerProcess.StartAsync("--data-root", dataRoot, "--api-key", "k");
        Process process = server.Process;
        using var http = new HttpClient();
        var api = new ApiClient(http, server.V01BaseUrl, "k");
        string vm = await api.ForkAsync();
        (await api.RunAsync(vm, "sleep 6401 &")).Succeeded();
        process.Kill();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return Assert.Single(Directory.GetDirectories(dataRoot));
    }

    private static List<string> MountsUnder(string prefix) => ServerMounts.Under(prefix);

    private static List<string> CgroupsOf(string instanceId) =>
        Directory.EnumerateDirectories("/sys/fs/cgroup", "arker-local-" + instanceId, SearchOption.AllDirectories).ToList();
}
