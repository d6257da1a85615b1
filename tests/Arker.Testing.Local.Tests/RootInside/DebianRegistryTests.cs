using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.RootInside;

/// <summary>
/// The tests' Debian image through the registry protocol, from a registry on the loopback address:
/// pulled, unpacked with its ids in the VMs' range (root inside), forked; a second server fetches
/// nothing; two servers pulling at once each get it whole and it is fetched once; a pull killed
/// midway leaves no fetch running and nothing half made, and the next start completes it; the
/// user's registry configuration (a mirror) and credentials (auth.json) are skopeo's, and apply.
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

    [Fact]
    public async Task A_mirror_the_registry_configuration_names_serves_the_image()
    {
        // A registry at another loopback address, where nothing answers, mirrored by the tests' one:
        // the image comes from the mirror, as registries.conf says (here the user's: $HOME/.config/containers/registries.conf).
        int unanswered = LoopbackPorts.Free();
        string home = Path.Combine(_work, "home");
        string configuration = Path.Combine(home, ".config", "containers", "registries.conf");
        Directory.CreateDirectory(Path.GetDirectoryName(configuration)!);
        await File.WriteAllTextAsync(configuration, $"""
            [[registry]]
            location = "127.0.0.2:{unanswered}"
            insecure = true

            [[registry.mirror]]
            location = "127.0.0.1:{_registry.Port}"
            insecure = true
            """, TestContext.Current.CancellationToken);
        using var dataRoot = new TemporaryDataRoot();
        await using ServerProcess server = await ServerProcess.StartAsync(
            new Dictionary<string, string> { ["HOME"] = home },
            "--api-key", "mirror", "--data-root", dataRoot.Path, "--base-cache", Path.Combine(_work, "mirror-cache"));
        var api = new ApiClient(_http, new Uri(server.BaseUrl, "/api"), "mirror");

        string vm = (await api.PostAsync("/v1/fork", new { image = $"127.0.0.2:{unanswered}/arker/debian:bookworm" })).Ok().GetProperty("vm_id").GetString()!;
        string release = (await api.PostAsync($"/v1/vms/{vm}/runs", new { command = ". /etc/os-release; echo $ID" })).Ok().GetProperty("stdout").GetString()!;

        Assert.Equal("debian\n", release);
        Assert.True(_registry.BlobsServed() > 0, "the mirror should have served the image's blobs");
    }

    [Fact]
    public async Task A_registry_that_asks_for_credentials_serves_the_image_with_the_users_auth_json()
    {
        await using LoopbackRegistry guarded = await LoopbackRegistry.StartAsync(Path.Combine(_work, "guarded-registry"), password: "s3cret");
        string reference = await guarded.PushAsync(await DebianImage.LayoutReferenceAsync(), "private/debian:bookworm");

        string refused = await ForkWithHomeAsync(Path.Combine(_work, "no-login"), reference);

        // As `skopeo login` writes it: $HOME/.config/containers/auth.json.
        string home = Path.Combine(_work, "logged-in");
        Directory.CreateDirectory(Path.Combine(home, ".config", "containers"));
        string login = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LoopbackRegistry.User}:s3cret"));
        string auth = JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [$"127.0.0.1:{guarded.Port}"] = new { auth = login } } });
        await File.WriteAllTextAsync(Path.Combine(home, ".config", "containers", "auth.json"), auth, TestContext.Current.CancellationToken);
        string release = await ForkWithHomeAsync(home, reference);

        Assert.Contains("unauthorized", refused, StringComparison.Ordinal);
        Assert.Contains("skopeo login", refused, StringComparison.Ordinal);
        Assert.Equal("debian\n", release);
    }

    /// <summary>
    /// On a server (its own process) whose user's home is <paramref name="home"/>, forks
    /// <paramref name="reference"/> and prints the image's distribution; or the refusal's message.
    /// </summary>
    private async Task<string> ForkWithHomeAsync(string home, string reference)
    {
        Directory.CreateDirectory(home);
        using var dataRoot = new TemporaryDataRoot();
        await using ServerProcess server = await ServerProcess.StartAsync(
            new Dictionary<string, string> { ["HOME"] = home }, "--api-key", "home", "--data-root", dataRoot.Path, "--base-cache", Path.Combine(home, "cache"));
        var api = new ApiClient(_http, new Uri(server.BaseUrl, "/api"), "home");
        ApiResponse fork = await api.PostAsync("/v1/fork", new { image = reference });
        if (fork.Status != 200)
        {
            return fork.Body.GetProperty("error").GetProperty("message").GetString()!;
        }

        string vm = fork.Ok().GetProperty("vm_id").GetString()!;
        return (await api.PostAsync($"/v1/vms/{vm}/runs", new { command = ". /etc/os-release; echo $ID" })).Ok().GetProperty("stdout").GetString()!;
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
