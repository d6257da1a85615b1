using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Api;

/// <summary>
/// The public base names (<c>ubuntu-base</c> and the rest) stand for images on a local server, as
/// its options say: a fork by such a name, on either API generation, is a fork of that image (made
/// once, on the first); a name can stand for the server's own base; an image that cannot be had
/// fails the fork, naming the name, what it stands for, and how to map it elsewhere.
/// </summary>
public sealed class BaseNameTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("arker-base-names-").FullName;
    private LocalArkerServer _server = null!;
    private readonly HttpClient _http = new();

    public async ValueTask InitializeAsync()
    {
        string layout = await TestImages.MakeAsync(_work);
        var options = new LocalArkerServerOptions { BaseCacheDirectory = Path.Combine(_work, "cache") };
        options.Images["ubuntu-base"] = $"oci:{layout}:v1";
        options.Images["host-tools"] = "arkuntu";
        options.Images["ubuntu-full"] = $"oci:{_work}/no-layout:v1";
        _server = await LocalArkerServer.StartAsync(options, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_name_that_stands_for_an_image_forks_that_image_on_both_API_generations()
    {
        var current = new ApiClient(_http, _server.ApiBaseUrl, _server.ApiKey);
        var v01 = new ApiClient(_http, _server.V01BaseUrl, _server.ApiKey);

        string fromCurrent = (await current.PostAsync("/v1/fork", new { source_vm_name = "ubuntu-base" })).Ok().GetProperty("vm_id").GetString()!;
        string fromV01 = (await v01.PostAsync("/api/v1/vms/fork", new { from = "ubuntu-base" })).Ok().GetProperty("vm_id").GetString()!;
        JsonElement run = (await current.PostAsync($"/v1/vms/{fromCurrent}/runs", new { command = "read -r line < /usr/share/marker; echo \"$line\"; test -e /usr/bin/python3 && echo host-usr || echo own-usr" })).Ok();
        RunResult v01Run = await v01.RunAsync(fromV01, "test -e /usr/bin/python3 && echo host-usr || echo own-usr");
        JsonElement host = (await current.PostAsync("/v1/fork", new { source_vm_name = "host-tools" })).Ok();
        string hostVm = host.GetProperty("vm_id").GetString()!;
        JsonElement hostRun = (await current.PostAsync($"/v1/vms/{hostVm}/runs", new { command = "test -e /usr/bin/python3 && echo host-usr || echo own-usr" })).Ok();

        Assert.Equal("from the image\nown-usr\n", run.GetProperty("stdout").GetString());
        Assert.Equal("own-usr\n", v01Run.StdoutText);
        Assert.Equal("host-usr\n", hostRun.GetProperty("stdout").GetString());
        Assert.Equal($"oci:{_work}/layout:v1", _server.Images["ubuntu-base"]);
        Assert.Equal("docker.io/library/ubuntu:24.04", _server.Images["ubuntu-coding"]); // the default where the options say nothing
    }

    [Fact]
    public async Task A_name_whose_image_cannot_be_had_fails_the_fork_saying_what_it_stands_for_and_how_to_change_it()
    {
        var current = new ApiClient(_http, _server.ApiBaseUrl, _server.ApiKey);

        ApiResponse missing = await current.PostAsync("/v1/fork", new { source_vm_name = "ubuntu-full" });

        missing.CurrentError(404, "not_found");
        Assert.Contains($"'ubuntu-full' stands for oci:{_work}/no-layout:v1 on this local server", missing.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("--image ubuntu-full=REFERENCE|DIRECTORY|ARCHIVE|arkuntu", missing.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("ARKER_TESTING_LOCAL_IMAGES", missing.ErrorMessage, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        Arker.Testing.Local.Storage.FolderRemoval.Delete(_work);
    }
}
