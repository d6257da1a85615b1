using System.Collections.Concurrent;

namespace Arker.Testing.Tests.Infrastructure;

/// <summary>Passes every request on to the network and remembers where it went.</summary>
public sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    public ConcurrentQueue<(HttpMethod Method, Uri Uri, bool HasAuthorization)> Requests { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue((request.Method, request.RequestUri!, request.Headers.Authorization is not null || request.Headers.Contains("authorization")));
        return base.SendAsync(request, cancellationToken);
    }
}
