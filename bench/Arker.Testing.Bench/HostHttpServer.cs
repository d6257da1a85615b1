using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.Bench;

/// <summary>A small Python HTTP server on a free port of this machine's loopback, answering "ok"; disposed, it stops and its script goes.</summary>
internal sealed class HostHttpServer : IDisposable
{
    private readonly Process _process;
    private readonly string _script;

    private HostHttpServer(Process process, string script, int port)
    {
        _process = process;
        _script = script;
        Port = port;
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts <paramref name="program"/> (a Python server taking its port as its argument) and waits until it answers.</summary>
    public static async Task<HostHttpServer> StartAsync(string program)
    {
        string script = Path.Combine(Path.GetTempPath(), $"arker-bench-http-{Environment.ProcessId}-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(script, program);
        int port = FreePort();
        var server = new HostHttpServer(Process.Start("python3", [script, port.ToString(System.Globalization.CultureInfo.InvariantCulture)])!, script, port);
        using var http = new HttpClient();
        for (int i = 0; ; i++)
        {
            try
            {
                await http.GetStringAsync(server.Url);
                return server;
            }
            catch (HttpRequestException) when (i < 100)
            {
                await Task.Delay(50);
            }
        }
    }

    public void Dispose()
    {
        _process.Kill();
        _process.Dispose();
        File.Delete(_script);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
