using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Samples;

/// <summary>
/// A fake weather API on a free port of this machine's loopback, answering every request alike and
/// recording what was asked: the service the samples' weather CLI calls, hosted by the test itself.
/// It is Kestrel, which answers whatever host name a request was sent to: a VM calls it as
/// <c>127.0.0.1</c> through <see cref="Arker.Testing.Client.Computer.ForwardHostPortAsync"/>, or as
/// <c>host.arker.internal</c> through an allow rule. (An <see cref="HttpListener"/> on
/// <c>http://127.0.0.1:port/</c> answers only requests sent to 127.0.0.1, so only the first.)
/// </summary>
public sealed class FakeWeatherApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<string> _requests = [];

    private FakeWeatherApi(WebApplication app) => _app = app;

    public int Port => new Uri(_app.Urls.Single()).Port;

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

    public static async Task<FakeWeatherApi> StartAsync(HttpStatusCode status, string json)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0"); // loopback only, a free port
        builder.Logging.ClearProviders();
        var api = new FakeWeatherApi(builder.Build());
        byte[] body = Encoding.UTF8.GetBytes(json);
        api._app.Run(async context =>
        {
            lock (api._requests)
            {
                api._requests.Add(context.Request.Path + context.Request.QueryString);
            }

            context.Response.StatusCode = (int)status;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(body);
        });
        await api._app.StartAsync();
        return api;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
