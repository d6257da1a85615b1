using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.TestSupport;

/// <summary>
/// The tests' apt repository (see <see cref="DebianImage"/>) served over HTTP on the loopback
/// address, so a VM installs packages from this machine, reached as <c>host.arker.internal</c>
/// through an allow rule for <see cref="Port"/>, and from nowhere else.
/// </summary>
internal sealed class AptRepositoryServer : IAsyncDisposable
{
    private readonly Process _process;

    private AptRepositoryServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The apt source line a VM uses: the repository is flat and unsigned, made for this run.</summary>
    public string SourceLine => $"deb [trusted=yes] http://host.arker.internal:{Port}/ ./";

    /// <summary>A command that makes this repository a VM's only apt source.</summary>
    public string UseAsOnlySource =>
        $"sudo rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* && echo '{SourceLine}' | sudo tee /etc/apt/sources.list.d/arker-tests.list >/dev/null";

    public static async Task<AptRepositoryServer> StartAsync()
    {
        string repository = await DebianImage.RepositoryAsync();
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var process = Process.Start(new ProcessStartInfo("python3", ["-m", "http.server", "--bind", "127.0.0.1", "--directory", repository, port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var server = new AptRepositoryServer(process, port);
        for (int attempt = 0; !server.Answers(); attempt++)
        {
            if (attempt > 200 || process.HasExited)
            {
                throw new InvalidOperationException($"the apt repository server on 127.0.0.1:{port} did not start");
            }

            await Task.Delay(50);
        }

        return server;
    }

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
}
