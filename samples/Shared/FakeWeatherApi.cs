using System.Net;
using System.Text;

namespace Arker.Testing.Samples;

/// <summary>
/// A fake weather API on a free port of this machine, answering every request alike and recording
/// what was asked: the service the samples' weather CLI calls, hosted by the test itself.
/// </summary>
public sealed class FakeWeatherApi : IDisposable
{
    private readonly HttpListener _listener;
    private readonly List<string> _requests = [];

    private FakeWeatherApi(HttpListener listener, int port)
    {
        _listener = listener;
        Port = port;
    }

    public int Port { get; }

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static FakeWeatherApi Start(HttpStatusCode status, string json)
    {
        int port = FreePort();
        var listener = new HttpListener { Prefixes = { $"http://127.0.0.1:{port}/" } };
        listener.Start();
        var api = new FakeWeatherApi(listener, port);
        _ = api.ServeAsync(status, Encoding.UTF8.GetBytes(json));
        return api;
    }

    public void Dispose() => _listener.Close();

    private async Task ServeAsync(HttpStatusCode status, byte[] body)
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            lock (_requests)
            {
                _requests.Add(context.Request.RawUrl ?? "");
            }

            context.Response.StatusCode = (int)status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
