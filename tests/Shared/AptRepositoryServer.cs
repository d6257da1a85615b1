using System.Diagnostics;

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
        int port = LoopbackPorts.Free();
        var process = Process.Start(new ProcessStartInfo("python3", ["-m", "http.server", "--bind", "127.0.0.1", "--directory", repository, port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _ = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        await LoopbackPorts.WaitUntilAnsweredAsync(port, process, () => "the apt repository server did not start" + (process.HasExited ? ": " + errors.Result : ""));
        return new AptRepositoryServer(process, port);
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
