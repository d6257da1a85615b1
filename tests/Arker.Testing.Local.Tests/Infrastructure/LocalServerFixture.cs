namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>
/// One local server for the whole test assembly, with two organisations, so tests can check
/// isolation. Tests that need other settings start a server of their own.
/// </summary>
public sealed class LocalServerFixture : IAsyncLifetime
{
    public const string KeyA = "ark_local_test_org_a";
    public const string KeyB = "ark_local_test_org_b";

    /// <summary>A host name the server's VMs resolve, standing for this machine's 127.0.0.1.</summary>
    public const string FirstTestHost = "api.test";

    /// <summary>A host name the server's VMs resolve, standing for this machine's 127.0.0.2.</summary>
    public const string SecondTestHost = "second.test";

    public LocalArkerServer Server { get; private set; } = null!;


    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>Organisation A's client.</summary>
    public ApiClient Api { get; private set; } = null!;

    /// <summary>Organisation B's client.</summary>
    public ApiClient OtherOrganisation { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var options = new LocalArkerServerOptions();
        options.ApiKeys[KeyA] = "org-a";
        options.ApiKeys[KeyB] = "org-b";
        options.HostNames[FirstTestHost] = System.Net.IPAddress.Loopback; // names VMs may look up (see OutboundPolicyTests)
        options.HostNames[SecondTestHost] = System.Net.IPAddress.Parse("127.0.0.2");
        Server = await LocalArkerServer.StartAsync(options, TestContext.Current.CancellationToken);
        Api = new ApiClient(Http, Server.V01BaseUrl, KeyA);
        OtherOrganisation = new ApiClient(Http, Server.V01BaseUrl, KeyB);
    }

    public ApiClient WithKey(string? key) => new(Http, Server.V01BaseUrl, key);

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Http.Dispose();
    }
}
