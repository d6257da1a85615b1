namespace Arker.Testing.Extensibility;

/// <summary>A running <see cref="LocalBackend"/>: where its Arker API is, and the owner that stops it.</summary>
/// <param name="baseUrl">The origin of its Arker API (regional and global routes alike).</param>
/// <param name="apiKey">A key it accepts.</param>
/// <param name="isolation">How its VMs are isolated, in one line, for logs.</param>
/// <param name="owner">Stops the instance, deleting its VMs, when disposed.</param>
public sealed class LocalBackendInstance(Uri baseUrl, string apiKey, string isolation, IAsyncDisposable owner) : IAsyncDisposable
{
    /// <summary>The origin of the instance's Arker API.</summary>
    public Uri BaseUrl { get; } = baseUrl ?? throw new ArgumentNullException(nameof(baseUrl));

    /// <summary>A key the instance accepts.</summary>
    public string ApiKey { get; } = apiKey ?? throw new ArgumentNullException(nameof(apiKey));

    /// <summary>How the instance's VMs are isolated, in one line.</summary>
    public string Isolation { get; } = isolation ?? throw new ArgumentNullException(nameof(isolation));

    /// <summary>Stops the instance: deletes its VMs and leaves nothing of it behind.</summary>
    public ValueTask DisposeAsync() => owner.DisposeAsync();
}
