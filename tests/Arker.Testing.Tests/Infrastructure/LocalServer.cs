using Arker.Testing.Fixtures;
using Arker.Testing.Local;

namespace Arker.Testing.Tests.Infrastructure;

/// <summary>One local Arker server for the test assembly, and clients of it.</summary>
public sealed class LocalServer : IAsyncLifetime
{
    public LocalArkerServer Server { get; private set; } = null!;

    /// <summary>What base names stand for on this machine (<c>ARKER_TESTING_LOCAL_IMAGES</c>; in this repository's runs, the tests' Debian image): never a registry beyond it.</summary>
    public static IReadOnlyDictionary<string, string> Images => ArkerTestingSettings.FromVariables(Environment.GetEnvironmentVariable).LocalImages;

    /// <summary>A client with default options (the current API), shared by tests.</summary>
    public ArkerClient Client { get; private set; } = null!;

    /// <summary>A client of the Arker API 0.1 with default options, shared by tests.</summary>
    public ArkerClient V01Client { get; private set; } = null!;

    /// <summary>The shared client of <paramref name="protocol"/>.</summary>
    public ArkerClient ClientFor(ArkerProtocol protocol) => protocol == ArkerProtocol.V01 ? V01Client : Client;

    public async ValueTask InitializeAsync()
    {
        var options = new LocalArkerServerOptions();
        foreach ((string name, string image) in Images)
        {
            options.Images[name] = image;
        }

        Server = await LocalArkerServer.StartAsync(options, TestContext.Current.CancellationToken);
        Client = NewClient();
        V01Client = NewClient(protocol: ArkerProtocol.V01);
    }

    /// <summary>A client of this server speaking <paramref name="protocol"/>; <paramref name="configure"/> adjusts its options.</summary>
    public ArkerClient NewClient(Action<ArkerClientOptions>? configure = null, ArkerProtocol protocol = ArkerProtocol.Current) => NewClient(Server, configure, protocol);

    /// <summary>A client of <paramref name="server"/> at the base of <paramref name="protocol"/>'s generation.</summary>
    public static ArkerClient NewClient(LocalArkerServer server, Action<ArkerClientOptions>? configure = null, ArkerProtocol protocol = ArkerProtocol.Current)
    {
        var options = new ArkerClientOptions { ApiKey = server.ApiKey, BaseUrl = BaseUrl(server, protocol) };
        configure?.Invoke(options);
        return new ArkerClient(options);
    }

    /// <summary>Where a client of <paramref name="protocol"/> finds <paramref name="server"/>.</summary>
    public static Uri BaseUrl(LocalArkerServer server, ArkerProtocol protocol) => protocol == ArkerProtocol.V01 ? server.V01BaseUrl : server.ApiBaseUrl;

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        V01Client?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
