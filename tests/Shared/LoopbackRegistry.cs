using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.TestSupport;

/// <summary>
/// A container registry on the loopback address (the distribution's <c>docker-registry</c>), for
/// tests that fetch images through the registry protocol; its log tells which blobs it served.
/// </summary>
internal sealed class LoopbackRegistry : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _log;

    private LoopbackRegistry(Process process, int port, string log)
    {
        _process = process;
        Port = port;
        _log = log;
    }

    public int Port { get; }

    public static async Task<LoopbackRegistry> StartAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        int port = FreePort();
        string config = Path.Combine(folder, "config.yml");
        string log = Path.Combine(folder, "registry.log");
        await File.WriteAllTextAsync(config, $"version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {Path.Combine(folder, "data")}\nhttp:\n  addr: 127.0.0.1:{port}\n");
        var process = Process.Start(new ProcessStartInfo("sh", ["-c", $"exec docker-registry serve '{config}' > '{log}' 2>&1"]))!;
        var registry = new LoopbackRegistry(process, port, log);
        for (int attempt = 0; !registry.Answers(); attempt++)
        {
            if (attempt > 400 || process.HasExited)
            {
                throw new InvalidOperationException($"the registry on 127.0.0.1:{port} did not start: {File.ReadAllText(log)}");
            }

            await Task.Delay(25);
        }

        return registry;
    }

    /// <summary>How many blob downloads (layers and configs) the registry has served so far.</summary>
    public int BlobsServed() => BlobDownloads().Count;

    /// <summary>The digest of each blob download (a layer or a config) the registry has served so far, in order.</summary>
    public List<string> BlobDownloads() =>
        [.. File.ReadLines(_log)
            .Where(line => line.Contains("\"GET /v2/", StringComparison.Ordinal) && line.Contains("/blobs/sha256:", StringComparison.Ordinal) && line.Contains("\" 200 ", StringComparison.Ordinal))
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, "/blobs/(sha256:[0-9a-f]+)").Groups[1].Value)];

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
