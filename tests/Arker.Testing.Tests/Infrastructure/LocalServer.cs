using Arker.Testing.Local;

namespace Arker.Testing.Tests.Infrastructure;

/// <summary>One local Arker server for the test assembly, and clients of it.</summary>
public sealed class LocalServer : IAsyncLifetime
{
    public LocalArkerServer Server { get; private set; } = null!;

    /// <summary>A client with default options, shared by tests.</summary>
    public ArkerClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions(), TestContext.Current.CancellationToken);
        Client = NewClient();
    }

    /// <summary>A client of this server; <paramref name="configure"/> adjusts its options.</summary>
    public ArkerClient NewClient(Action<ArkerClientOptions>? configure = null) => NewClient(Server, configure);

    public static ArkerClient NewClient(LocalArkerServer server, Action<ArkerClientOptions>? configure = null)
    {
        var options = new ArkerClientOptions { ApiKey = server.ApiKey, BaseUrl = server.V01BaseUrl }; // the client speaks 0.1
        configure?.Invoke(options);
        return new ArkerClient(options);
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
