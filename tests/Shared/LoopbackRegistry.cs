using System.Diagnostics;

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
        int port = LoopbackPorts.Free();
        string config = Path.Combine(folder, "config.yml");
        string log = Path.Combine(folder, "registry.log");
        await File.WriteAllTextAsync(config, $"version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {Path.Combine(folder, "data")}\nhttp:\n  addr: 127.0.0.1:{port}\n");
        var process = Process.Start(new ProcessStartInfo("sh", ["-c", $"exec docker-registry serve '{config}' > '{log}' 2>&1"]))!;
        var registry = new LoopbackRegistry(process, port, log);
        await LoopbackPorts.WaitUntilAnsweredAsync(port, process, () => "the registry did not start: " + File.ReadAllText(log));
        return registry;
    }

    /// <summary>Copies the image <paramref name="source"/> (as skopeo names it) into the registry as <paramref name="name"/> (<c>repository:tag</c>); its reference there, without a transport.</summary>
    public async Task<string> PushAsync(string source, string name)
    {
        string reference = $"127.0.0.1:{Port}/{name}";
        using Process push = Process.Start(new ProcessStartInfo("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", source, "docker://" + reference]) { RedirectStandardError = true })!;
        string errors = await push.StandardError.ReadToEndAsync();
        await push.WaitForExitAsync();
        return push.ExitCode == 0 ? reference : throw new InvalidOperationException($"skopeo could not push {source} to {reference}: {errors}");
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
}
