using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.RootInside;

/// <summary>
/// A local server whose base is the tests' Debian image (given as its archive, see
/// <see cref="DebianImage"/>), with limits low enough to test, and the tests' apt repository served
/// on the loopback address; as root, its VMs have root inside.
/// </summary>
public sealed class DebianServerFixture : IAsyncLifetime
{
    public const int ProcessLimit = 128;

    public LocalArkerServer Server { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>The current API, as the server's key.</summary>
    public ApiClient Api { get; private set; } = null!;

    internal AptRepositoryServer Repository { get; private set; } = null!;

    public string DataRoot { get; } = Directory.CreateTempSubdirectory("arker-debian-server-").FullName;

    public async ValueTask InitializeAsync()
    {
        Repository = await AptRepositoryServer.StartAsync();
        Server = await LocalArkerServer.StartAsync(
            new LocalArkerServerOptions { RootFilesystem = await DebianImage.ArchiveAsync(), DataRoot = DataRoot, ProcessLimit = ProcessLimit, MemoryLimitBytes = 512L * 1024 * 1024 },
            TestContext.Current.CancellationToken);
        Api = new ApiClient(Http, Server.ApiBaseUrl, Server.ApiKey);
    }

    /// <summary>A new VM of the Debian base.</summary>
    public async Task<string> ForkAsync(string from = "arkuntu") =>
        (await Api.PostAsync("/v1/fork", from.Contains('_', StringComparison.Ordinal) ? new { source_vm_id = from } : (object)new { source_vm_name = from })).Ok().GetProperty("vm_id").GetString()!;

    /// <summary>Runs a command in a VM through the current API.</summary>
    public async Task<(string Stdout, string Stderr, int ExitCode)> RunAsync(string vm, string command, int timeout = 120)
    {
        JsonElement run = (await Api.PostAsync($"/v1/vms/{vm}/runs", new { command, timeout })).Ok();
        return (run.GetProperty("stdout").GetString()!, run.GetProperty("stderr").GetString()!, run.GetProperty("exit_code").GetInt32());
    }

    /// <summary>Lets a VM reach the tests' apt repository on this machine (and nothing else of it).</summary>
    public async Task AllowRepositoryAsync(string vm) =>
        (await Api.SendJsonAsync(HttpMethod.Put, $"/v1/vms/{vm}/policies",
            $$"""{"policies":[{"type":"outbound","match":{"hosts":["host.arker.internal"],"ports":[{{Repository.Port}}]},"action":"allow"}]}""")).Ok();

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (Repository is not null)
        {
            await Repository.DisposeAsync();
        }

        Http.Dispose();
        Arker.Testing.Local.Storage.FolderRemoval.Delete(DataRoot);
    }
}
