using System.Net;
using System.Text;

namespace Arker.Testing.Samples.Xunit;

/// <summary>
/// A CLI in the VM that calls a web API, tested against a fake of that API which the test itself
/// hosts: <see cref="Computer.ForwardHostPortAsync"/> lets the VM reach that one port of this machine.
/// </summary>
[ArkerVm(typeof(WebAppsMachine))]
public sealed class FakeApiTests : ArkerTest
{
    [Fact]
    public async Task TheCli_PrintsWhatTheApiAnswers()
    {
        using FakeWeatherApi api = FakeWeatherApi.Start(HttpStatusCode.OK, """{"summary": "sunny", "celsius": 21}""");
        Uri inVm = await Vm.ForwardHostPortAsync(api.Port, cancellationToken: CancellationToken);

        RunResult run = await Vm.RunAsync($"WEATHER_API={inVm} python3 apps/weather.py Paris", CancellationToken);

        run.ShouldSucceed().StdoutShouldBe("Paris: sunny, 21 °C");
        Assert.Equal(["/today?city=Paris"], api.Requests);
    }

    [Fact]
    public async Task TheCli_SaysWhenTheApiFails()
    {
        using FakeWeatherApi api = FakeWeatherApi.Start(HttpStatusCode.ServiceUnavailable, "{}");
        Uri inVm = await Vm.ForwardHostPortAsync(api.Port, cancellationToken: CancellationToken);

        RunResult run = await Vm.RunAsync($"WEATHER_API={inVm} python3 apps/weather.py", CancellationToken);

        run.ShouldExitWith(1).StderrShouldContain("the service answered 503");
    }

    /// <summary>A fake weather API on a free port of this machine, answering every request alike.</summary>
    private sealed class FakeWeatherApi : IDisposable
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
}
