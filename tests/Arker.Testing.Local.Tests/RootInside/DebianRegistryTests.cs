using System.Diagnostics;
using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.RootInside;

/// <summary>
/// The tests' Debian image through the registry protocol, from a registry on the loopback address:
/// pulled, unpacked with its ids in the VMs' range (root inside), forked; a second server fetches
/// nothing; two servers pulling at once each get it whole and it is fetched once; a pull killed
/// midway leaves no fetch running and nothing half made, and the next start completes it.
/// </summary>
public sealed class DebianRegistryTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("arker-debian-registry-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(5) };
    private LoopbackRegistry _registry = null!;
    private string _reference = "";

    private string Cache => Path.Combine(_work, "cache");

    public async ValueTask InitializeAsync()
    {
        _registry = await LoopbackRegistry.StartAsync(Path.Combine(_work, "registry"));
        _reference = await _registry.PushAsync(await DebianImage.LayoutReferenceAsync(), "arker/debian:bookworm");
    }

    [Fact]
    public async Task A_fork_of_the_image_has_root_inside_and_a_second_server_fetches_nothing()
    {
        using var first = new TemporaryDataRoot();
        using var second = new TemporaryDataRoot();

        string inFirst = await RunInImageForkAsync(first.Path, "sudo id -u; . /etc/os-release; echo $ID");
        int blobs = _registry.BlobsServed();
        string inSecond = await RunInImageForkAsync(second.Path, "sudo id -u");

        Assert.Equal("0\ndebian\n", inFirst);
        Assert.Equal("0\n", inSecond);
        Assert.True(blobs > 0, "the first server should have fetched the image's blobs");
        Assert.Equal(blobs, _registry.BlobsServed()); // the second fetched no blob
        Assert.Single(UnpackedRoots());
    }

    [Fact]
    public async Task Two_servers_pulling_at_once_each_get_it_whole_and_it_is_fetched_once()
    {
        using var one = new TemporaryDataRoot();
        using var two = new TemporaryDataRoot();

        string[] answers = await Task.WhenAll(RunInServerOverImageAsync(one.Path, "sudo id -u"), RunInServerOverImageAsync(two.Path, "sudo id -u"));

        Assert.Equal(["0\n", "0\n"], answers);
        Assert.Single(UnpackedRoots());
        Assert.Equal(_registry.BlobDownloads().Distinct().Count(), _registry.BlobDownloads().Count); // each blob once
    }

    [Fact]
    public async Task A_pull_killed_midway_leaves_no_fetch_running_and_the_next_start_completes_it()
    {
        using var killed = new TemporaryDataRoot();
        using var next = new TemporaryDataRoot();
        var start = new ProcessStartInfo("dotnet", [ServerProcess.ServerDll, "--urls", "http://127.0.0.1:0", "--rootfs", "docker://" + _reference, "--base-cache", Cache, "--data-root", killed.Path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (Process server = Process.Start(start)!)
        {
            _ = server.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            _ = server.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            int tool = 0;
            await Eventually.UntilAsync(() => (tool = FetchingOrUnpacking(server.Id)) != 0, "the server fetching or unpacking the image (skopeo or umoci running)", TimeSpan.FromSeconds(60));

            server.Kill(); // as a crash would: no clean-up of its own
            await server.WaitForExitAsync(TestContext.Current.CancellationToken);
            await Eventually.UntilAsync(() => !ProcessTree.IsAlive(tool), $"skopeo or umoci (pid {tool}) ending with the server that started it");
        }

        Assert.Empty(UnpackedRoots()); // nothing published half made
        Assert.Equal("0\n", await RunInServerOverImageAsync(next.Path, "sudo id -u"));
        Assert.Single(UnpackedRoots());
        await LocalArkerServer.CleanUpAfterDeadServersAsync(killed.Path); // what any later start does for a dead server's folder
        Assert.Empty(Directory.EnumerateFileSystemEntries(killed.Path));
    }

    public async ValueTask DisposeAsync()
    {
        await _registry.DisposeAsync();
        _http.Dispose();
        Storage.FolderRemoval.Delete(_work);
    }

    /// <summary>Forks the image by the contract's <c>image</c> field on a fresh server and runs <paramref name="command"/>.</summary>
    private async Task<string> RunInImageForkAsync(string dataRoot, string command)
    {
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = dataRoot, BaseCacheDirectory = Cache }, TestContext.Current.CancellationToken);
        var api = new ApiClient(_http, server.ApiBaseUrl, server.ApiKey);
        string vm = (await api.PostAsync("/v1/fork", new { image = _reference })).Ok().GetProperty("vm_id").GetString()!;
        return (await api.PostAsync($"/v1/vms/{vm}/runs", new { command })).Ok().GetProperty("stdout").GetString()!;
    }

    /// <summary>Starts a server whose own base is the image and runs <paramref name="command"/> in a fork of it.</summary>
    private async Task<string> RunInServerOverImageAsync(string dataRoot, string command)
    {
        await using var server = await LocalArkerServer.StartAsync(
            new LocalArkerServerOptions { DataRoot = dataRoot, BaseCacheDirectory = Cache, RootFilesystem = "docker://" + _reference }, TestContext.Current.CancellationToken);
        var api = new ApiClient(_http, server.ApiBaseUrl, server.ApiKey);
        string vm = (await api.PostAsync("/v1/fork", new { source_vm_name = "arkuntu" })).Ok().GetProperty("vm_id").GetString()!;
        return (await api.PostAsync($"/v1/vms/{vm}/runs", new { command })).Ok().GetProperty("stdout").GetString()!;
    }

    /// <summary>The image roots published in the cache (whole ones: a root being written is aside, in a .tmp folder).</summary>
    private string[] UnpackedRoots()
    {
        string roots = Path.Combine(Cache, "images", "roots");
        return Directory.Exists(roots) ? [.. Directory.EnumerateDirectories(roots).Where(d => !Path.GetFileName(d).StartsWith('.'))] : [];
    }

    /// <summary>A skopeo or umoci below <paramref name="server"/>, or 0.</summary>
    private static int FetchingOrUnpacking(int server) =>
        ProcessTree.DescendantsOf(server).FirstOrDefault(pid =>
        {
            try
            {
                string name = File.ReadAllText($"/proc/{pid}/comm").Trim();
                return name is "skopeo" or "umoci";
            }
            catch (IOException)
            {
                return false;
            }
        });
}
