using Arker.Testing.Extensibility;
using Arker.Testing.Local.Sandbox;

namespace Arker.Testing.Local;

/// <summary>
/// The local Arker server as Arker.Testing's <see cref="LocalBackend"/>: each test run without an
/// API key starts one in-process, and stops it when the run ends.
/// </summary>
public sealed class LocalArkerServerBackend : LocalBackend
{
    private readonly Func<LocalArkerServerOptions> _options;

    /// <summary>The server with its default options.</summary>
    public LocalArkerServerBackend()
        : this(() => new LocalArkerServerOptions())
    {
    }

    /// <summary>The server with options made by <paramref name="options"/> for each instance; the run's data root, when it has one, wins.</summary>
    public LocalArkerServerBackend(Func<LocalArkerServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc/>
    public override async Task<LocalBackendInstance> StartAsync(LocalBackendOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        LocalArkerServerOptions serverOptions = _options();
        serverOptions.DataRoot = options.DataRoot ?? serverOptions.DataRoot;
        serverOptions.UseBaseCache = options.BaseCache && serverOptions.UseBaseCache;
        serverOptions.BaseCacheDirectory = options.BaseCacheDirectory ?? serverOptions.BaseCacheDirectory;
        serverOptions.ClearBaseCache |= options.ClearBaseCache;
        foreach ((string name, string reference) in options.Images)
        {
            serverOptions.Images[name] = reference;
        }
        try
        {
            LocalArkerServer server = await LocalArkerServer.StartAsync(serverOptions, cancellationToken);
            return new LocalBackendInstance(server.ApiBaseUrl, server.ApiKey, $"{server.Isolation}; base names: {server.ImagesDescription}", server);
        }
        catch (SandboxUnavailableException ex)
        {
            throw new LocalBackendUnavailableException(ex.Message, ex);
        }
    }

    /// <inheritdoc/>
    public override Task<int> CleanUpAfterDeadInstancesAsync(string? dataRoot, CancellationToken cancellationToken = default) =>
        LocalArkerServer.CleanUpAfterDeadServersAsync(dataRoot);
}
