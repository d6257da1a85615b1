using Arker.Testing.TestSupport;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Cache;

/// <summary>
/// The base cache (<c>POST /api/v1/vms/{id}/cache</c>, a local extension): a base stored by one
/// server is offered by the next one started on the same cache folder, by name, with its files,
/// and what is half-written, damaged or made elsewhere is never offered.
/// </summary>
public sealed class BaseCacheTests : IDisposable
{
    private const string Key = "ark_local_cache_test";
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "arker-cache-test-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(2) };

    [Fact]
    public async Task AStoredBase_IsOfferedByTheNextServer_WithItsFiles_AndForksOfItStartFromIt()
    {
        await using (LocalArkerServer first = await StartAsync())
        {
            ApiClient api = Api(first);
            string vm = await V01(first).ForkAsync();
            (await V01(first).RunAsync(vm, "mkdir -p ~/.local/bin && echo 'echo provisioned' > ~/.local/bin/tool && chmod +x ~/.local/bin/tool")).Succeeded();
            JsonElement stored = (await api.PostAsync($"/v1/vms/{vm}/cache", new { name = "arker-base-Tool", recipe_hash = "r1" })).Ok();
            Assert.Equal("arker-base-Tool", stored.GetProperty("name").GetString());
        }

        await using LocalArkerServer second = await StartAsync();
        JsonElement offered = Assert.Single((await Api(second).GetAsync("/v1/cache")).Ok().GetProperty("bases").EnumerateArray());
        string fork = (await Api(second).PostAsync("/v1/fork", new { source_vm_name = "arker-base-Tool" })).Ok().GetProperty("vm_id").GetString()!;
        RunResult inFork = await V01(second).RunAsync(fork, "tool && echo changed > ~/.local/bin/tool");
        string another = (await Api(second).PostAsync("/v1/fork", new { source_vm_name = "arker-base-Tool" })).Ok().GetProperty("vm_id").GetString()!;
        RunResult inAnother = await V01(second).RunAsync(another, "cat ~/.local/bin/tool");

        Assert.Equal("r1", offered.GetProperty("recipe_hash").GetString());
        Assert.Equal("provisioned\n", inFork.StdoutText);
        Assert.Equal("echo provisioned\n", inAnother.StdoutText); // a fork's changes stay in the fork
    }

    [Fact]
    public async Task A_base_kept_when_its_base_name_stood_for_another_machine_is_not_offered()
    {
        await using (LocalArkerServer first = await StartAsync(ubuntuBase: "arkuntu"))
        {
            string vm = (await Api(first).PostAsync("/v1/fork", new { source_vm_name = "ubuntu-base" })).Ok().GetProperty("vm_id").GetString()!;
            (await Api(first).PostAsync($"/v1/vms/{vm}/cache", new { name = "over-ubuntu-base", recipe_hash = "r1" })).Ok();
        }

        // Where ubuntu-base is another root (never fetched here: a name is resolved on its first fork), its kept base is of another machine.
        await using (LocalArkerServer elsewhere = await StartAsync(ubuntuBase: "/srv/another-root.tar"))
        {
            Assert.Empty((await Api(elsewhere).GetAsync("/v1/cache")).Ok().GetProperty("bases").EnumerateArray());
            Assert.Equal(404, (await Api(elsewhere).PostAsync("/v1/fork", new { source_vm_name = "over-ubuntu-base" })).Status);
        }

        await using LocalArkerServer again = await StartAsync(ubuntuBase: "arkuntu");
        JsonElement offered = Assert.Single((await Api(again).GetAsync("/v1/cache")).Ok().GetProperty("bases").EnumerateArray());
        string fork = (await Api(again).PostAsync("/v1/fork", new { source_vm_name = "over-ubuntu-base" })).Ok().GetProperty("vm_id").GetString()!;
        Assert.Equal("over-ubuntu-base", offered.GetProperty("name").GetString());
        Assert.Equal("kept\n", (await V01(again).RunAsync(fork, "echo kept")).StdoutText);
    }

    [Fact]
    public async Task TheClientsRecordOfInputs_IsKeptWithTheEntry_ListedByTheNextServer_AndBoundedInSize()
    {
        const string Inputs = """{"format":1,"inputs":[{"kind":"Directory","location":"/src/testdata","excluded":[],"digests":{"tool":"755:ab"}}]}""";
        await using (LocalArkerServer first = await StartAsync())
        {
            string vm = await V01(first).ForkAsync();
            (await Api(first).PostAsync($"/v1/vms/{vm}/cache", new { name = "with-inputs", recipe_hash = "r1", inputs = Inputs })).Ok();
            (await Api(first).PostAsync($"/v1/vms/{vm}/cache", new { name = "too-much", recipe_hash = "r1", inputs = new string('x', (1024 * 1024) + 1) })).CurrentError(400, "bad_request");
            (await Api(first).PostAsync($"/v1/vms/{vm}/cache", new { name = "no-inputs", recipe_hash = "r1" })).Ok();
        }

        await using LocalArkerServer second = await StartAsync();
        JsonElement[] offered = [.. (await Api(second).GetAsync("/v1/cache")).Ok().GetProperty("bases").EnumerateArray()];

        Assert.Equal(["no-inputs", "with-inputs"], offered.Select(b => b.GetProperty("name").GetString()));
        Assert.False(offered[0].TryGetProperty("inputs", out _)); // none recorded, none listed
        Assert.Equal(Inputs, offered[1].GetProperty("inputs").GetString());
    }

    [Fact]
    public async Task StoringTheSameBaseAgain_KeepsTheFirst()
    {
        await using LocalArkerServer server = await StartAsync();
        string vm = await V01(server).ForkAsync();
        (await V01(server).RunAsync(vm, "echo first > ~/which")).Succeeded();
        JsonElement first = (await Api(server).PostAsync($"/v1/vms/{vm}/cache", new { name = "twice", recipe_hash = "r1" })).Ok();
        (await V01(server).RunAsync(vm, "echo second > ~/which")).Succeeded();
        JsonElement again = (await Api(server).PostAsync($"/v1/vms/{vm}/cache", new { name = "twice", recipe_hash = "r1" })).Ok();
        string fork = (await Api(server).PostAsync("/v1/fork", new { source_vm_name = "twice" })).Ok().GetProperty("vm_id").GetString()!;

        Assert.Equal(first.GetProperty("created_at").GetString(), again.GetProperty("created_at").GetString());
        Assert.Equal("first\n", (await V01(server).RunAsync(fork, "cat ~/which")).StdoutText);
        Assert.Single(Directory.GetDirectories(Path.Combine(_cache, "bases")));
    }

    [Fact]
    public async Task DamagedUnfinishedOrForeignEntries_AreNeverOffered_AndTheServerStarts()
    {
        await using (LocalArkerServer first = await StartAsync())
        {
            string vm = await V01(first).ForkAsync();
            (await Api(first).PostAsync($"/v1/vms/{vm}/cache", new { name = "good", recipe_hash = "r1" })).Ok();
        }

        string bases = Path.Combine(_cache, "bases");
        string good = Path.Combine(bases, "good@r1");
        CopyTree(good, Path.Combine(bases, "damaged@r1"));
        await File.WriteAllTextAsync(Path.Combine(bases, "damaged@r1", "manifest.json"), "{ not json", TestContext.Current.CancellationToken);
        CopyTree(good, Path.Combine(bases, "foreign@r1"));
        string foreign = await File.ReadAllTextAsync(Path.Combine(good, "manifest.json"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(bases, "foreign@r1", "manifest.json"), foreign.Replace("\"name\": \"good\"", "\"name\": \"foreign\"", StringComparison.Ordinal).Replace("\"fingerprint\": \"", "\"fingerprint\": \"0", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        CopyTree(good, Path.Combine(bases, ".tmp-unfinished"));
        CopyTree(good, Path.Combine(bases, ".tmp-abandoned"));
        Directory.SetLastWriteTimeUtc(Path.Combine(bases, ".tmp-abandoned"), DateTime.UnixEpoch);

        await using LocalArkerServer second = await StartAsync();
        string[] offered = [.. (await Api(second).GetAsync("/v1/cache")).Ok().GetProperty("bases").EnumerateArray().Select(b => b.GetProperty("name").GetString()!)];

        Assert.Equal(["good"], offered);
        Assert.True(Directory.Exists(Path.Combine(bases, ".tmp-unfinished"))); // it may be another run's, still being written
        Assert.False(Directory.Exists(Path.Combine(bases, ".tmp-abandoned")));
        (await Api(second).PostAsync("/v1/fork", new { source_vm_name = "damaged" })).CurrentError(404, "not_found");
    }

    [Fact]
    public async Task TheCacheFolder_IsOutOfTheVmsReach_AndAServerWithoutACacheSaysSo()
    {
        await using (LocalArkerServer server = await StartAsync())
        {
            string vm = await V01(server).ForkAsync();
            (await Api(server).PostAsync($"/v1/vms/{vm}/cache", new { name = "hidden", recipe_hash = "r1" })).Ok();
            string fork = (await Api(server).PostAsync("/v1/fork", new { source_vm_name = "hidden" })).Ok().GetProperty("vm_id").GetString()!;

            RunResult look = await V01(server).RunAsync(fork, $"ls {_cache} 2>&1; echo \"[$?]\"");

            Assert.Contains("No such file or directory", look.StdoutText);
        }

        await using LocalArkerServer off = await StartAsync(useCache: false);
        string other = await V01(off).ForkAsync();
        (await Api(off).PostAsync($"/v1/vms/{other}/cache", new { name = "nowhere", recipe_hash = "r1" })).CurrentError(409, "conflict");
        Assert.Empty((await Api(off).GetAsync("/v1/cache")).Ok().GetProperty("bases").EnumerateArray());
    }

    [Fact]
    public async Task PastItsSize_TheCacheEvictsWhatWasLeastRecentlyUsed_WhenAServerStarts()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using (LocalArkerServer first = await StartAsync(clock: clock))
        {
            foreach (string name in (string[])["older", "newer"])
            {
                string vm = await V01(first).ForkAsync();
                (await V01(first).RunAsync(vm, "head -c 2000000 /dev/urandom > ~/payload")).Succeeded();
                (await Api(first).PostAsync($"/v1/vms/{vm}/cache", new { name, recipe_hash = "r1" })).Ok();
                clock.Advance(TimeSpan.FromMinutes(5));
            }
        }

        clock.Advance(TimeSpan.FromHours(1));
        long newer = new DirectoryInfo(Path.Combine(_cache, "bases", "newer@r1")).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Sum(f => f.Length);
        await using LocalArkerServer second = await StartAsync(clock: clock, maxBytes: newer + 1024);
        string[] offered = [.. (await Api(second).GetAsync("/v1/cache")).Ok().GetProperty("bases").EnumerateArray().Select(b => b.GetProperty("name").GetString()!)];

        Assert.Equal(["newer"], offered);
        Assert.False(Directory.Exists(Path.Combine(_cache, "bases", "older@r1")));
    }

    [Fact]
    public async Task AServerKilledWhileStoring_PublishesNothing_AndWhatItLeftGoesLater()
    {
        using var dataRoot = new TemporaryDataRoot();
        string bases = Path.Combine(_cache, "bases");
        using (ServerProcess server = await ServerProcess.StartAsync("--api-key", Key, "--base-cache", _cache, "--data-root", dataRoot.Path))
        {
            var v01 = new ApiClient(_http, server.V01BaseUrl, Key);
            var api = new ApiClient(_http, new Uri(server.BaseUrl, "api"), Key);
            string vm = await v01.ForkAsync();
            (await v01.RunAsync(vm, "head -c 600000000 /dev/urandom > ~/big")).Succeeded();
            Task<ApiResponse> storing = api.PostAsync($"/v1/vms/{vm}/cache", new { name = "killed", recipe_hash = "r1" });
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!Directory.Exists(bases) || !Directory.EnumerateDirectories(bases, ".tmp-*").Any(staging => File.Exists(Path.Combine(staging, "layer", "home", "user", "big"))))
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the store never began copying");
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }

            server.Process.Kill(); // SIGKILL, in the middle of the copy
            await Assert.ThrowsAnyAsync<Exception>(() => storing);
        }

        Assert.False(Directory.Exists(Path.Combine(bases, "killed@r1")));
        string left = Assert.Single(Directory.GetDirectories(bases, ".tmp-*"));
        Directory.SetLastWriteTimeUtc(left, DateTime.UtcNow - TimeSpan.FromHours(2));
        await using LocalArkerServer next = await StartAsync(dataRoot: dataRoot.Path); // also cleans up what the killed server left in its data root

        Assert.Empty((await Api(next).GetAsync("/v1/cache")).Ok().GetProperty("bases").EnumerateArray());
        Assert.False(Directory.Exists(left));
    }

    [Fact]
    public async Task TheToolListsTheStoredBases_AndPrunesThem()
    {
        await using (LocalArkerServer server = await StartAsync())
        {
            string vm = await V01(server).ForkAsync();
            (await Api(server).PostAsync($"/v1/vms/{vm}/cache", new { name = "listed", recipe_hash = "r7" })).Ok();
        }

        (int listed, string listing) = await ToolAsync("cache", "list", "--base-cache", _cache);
        (int pruned, string pruning) = await ToolAsync("cache", "prune", "--base-cache", _cache);
        (_, string after) = await ToolAsync("cache", "list", "--base-cache", _cache);

        Assert.Equal((0, 0), (listed, pruned));
        Assert.Contains("1 stored base(s)", listing, StringComparison.Ordinal);
        Assert.Contains("listed  recipe r7", listing, StringComparison.Ordinal);
        Assert.Contains("Removed 1 stored base(s)", pruning, StringComparison.Ordinal);
        Assert.Contains("0 stored base(s)", after, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_cache, "bases")));
    }

    public void Dispose()
    {
        _http.Dispose();
        Arker.Testing.Local.Storage.FolderRemoval.Delete(_cache);
    }

    private Task<LocalArkerServer> StartAsync(bool useCache = true, TimeProvider? clock = null, long maxBytes = 1L << 40, string? dataRoot = null, string? ubuntuBase = null)
    {
        var options = new LocalArkerServerOptions { BaseCacheDirectory = _cache, UseBaseCache = useCache, BaseCacheMaxBytes = maxBytes, TimeProvider = clock ?? TimeProvider.System, DataRoot = dataRoot };
        options.ApiKeys[Key] = "org-cache";
        if (ubuntuBase is not null)
        {
            options.Images["ubuntu-base"] = ubuntuBase;
        }

        return LocalArkerServer.StartAsync(options, TestContext.Current.CancellationToken);
    }

    private ApiClient Api(LocalArkerServer server) => new(_http, server.ApiBaseUrl, Key);

    private ApiClient V01(LocalArkerServer server) => new(_http, server.V01BaseUrl, Key);

    private static Task<(int ExitCode, string Output)> ToolAsync(params string[] arguments) =>
        ProgramRun.ToEndAsync("dotnet", [ServerProcess.ServerDll, .. arguments]);

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    private static void CopyTree(string source, string destination)
    {
        using var copy = System.Diagnostics.Process.Start("cp", ["-a", source, destination])!;
        copy.WaitForExit();
        Assert.Equal(0, copy.ExitCode);
    }
}
