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
    public async Task StoringTheSameBaseAgain_KeepsTheFirst()
    {
        await using LocalArkerServer server = await StartAsync();
        string vm = await V01(server).ForkAsync();
        (await V01(server).RunAsync(vm, "echo first > ~/which")).Succeeded();
        JsonElement first = (await Api(server).PostAsync($"/v1/vms/{vm}/cache", new { name = "twice", recipe_hash = "r1" })).Ok();
        (await V01(server).RunAsync(vm, "echo second > ~/which")).Succeeded();
        JsonElement again = (await Api(server).PostAsync($"/v1/vms/{vm}/cache", new { name = "twice", recipe_hash = "r1" })).Ok();
        string fork = (await Api(server).PostAsync("/v1/fork", new { source_vm_name = "twice" })).Ok().GetProperty("vm_id").GetString()!;

        Assert.Equal(first.GetProperty("vm_id").GetString(), again.GetProperty("vm_id").GetString());
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

    public void Dispose()
    {
        _http.Dispose();
        Arker.Testing.Local.Sandbox.BackgroundCleanup.DeleteNow(_cache);
    }

    private Task<LocalArkerServer> StartAsync(bool useCache = true)
    {
        var options = new LocalArkerServerOptions { BaseCacheDirectory = _cache, UseBaseCache = useCache };
        options.ApiKeys[Key] = "org-cache";
        return LocalArkerServer.StartAsync(options, TestContext.Current.CancellationToken);
    }

    private ApiClient Api(LocalArkerServer server) => new(_http, server.ApiBaseUrl, Key);

    private ApiClient V01(LocalArkerServer server) => new(_http, server.V01BaseUrl, Key);

    private static void CopyTree(string source, string destination)
    {
        using var copy = System.Diagnostics.Process.Start("cp", ["-a", source, destination])!;
        copy.WaitForExit();
        Assert.Equal(0, copy.ExitCode);
    }
}
