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
    private string? _password;

    private LoopbackRegistry(Process process, int port, string log)
    {
        _process = process;
        Port = port;
        _log = log;
    }

    public int Port { get; }

    /// <summary>The user a registry started with a password asks for.</summary>
    public const string User = "arker";

    /// <summary>Starts a registry in <paramref name="folder"/>; with <paramref name="password"/>, one that serves only <see cref="User"/> with it (basic authentication).</summary>
    public static async Task<LoopbackRegistry> StartAsync(string folder, string? password = null)
    {
        Directory.CreateDirectory(folder);
        int port = LoopbackPorts.Free();
        string config = Path.Combine(folder, "config.yml");
        string log = Path.Combine(folder, "registry.log");
        string authentication = "";
        if (password is not null)
        {
            string passwords = Path.Combine(folder, "htpasswd");
            await File.WriteAllTextAsync(passwords, $"{User}:{await BcryptAsync(password)}\n");
            authentication = $"auth:\n  htpasswd:\n    realm: arker-tests\n    path: {passwords}\n";
        }

        await File.WriteAllTextAsync(config, $"version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {Path.Combine(folder, "data")}\n{authentication}http:\n  addr: 127.0.0.1:{port}\n");
        var process = Process.Start(new ProcessStartInfo("sh", ["-c", $"exec docker-registry serve '{config}' > '{log}' 2>&1"]))!;
        var registry = new LoopbackRegistry(process, port, log) { _password = password };
        await LoopbackPorts.WaitUntilAnsweredAsync(port, process, () => "the registry did not start: " + File.ReadAllText(log));
        return registry;
    }

    /// <summary>Copies the image <paramref name="source"/> (as skopeo names it) into the registry as <paramref name="name"/> (<c>repository:tag</c>); its reference there, without a transport.</summary>
    public async Task<string> PushAsync(string source, string name)
    {
        string reference = $"127.0.0.1:{Port}/{name}";
        string[] credentials = _password is null ? [] : ["--dest-creds", $"{User}:{_password}"];
        using Process push = Process.Start(new ProcessStartInfo("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", .. credentials, source, "docker://" + reference]) { RedirectStandardError = true })!;
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

    /// <summary>A bcrypt hash of <paramref name="password"/>, as the registry's htpasswd file wants it (libc's crypt, through perl).</summary>
    private static async Task<string> BcryptAsync(string password)
    {
        string salt = "$2b$10$" + string.Concat(System.Security.Cryptography.RandomNumberGenerator.GetItems("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".AsSpan(), 22));
        using Process perl = Process.Start(new ProcessStartInfo("perl", ["-e", "print crypt($ARGV[0], $ARGV[1])", password, salt]) { RedirectStandardOutput = true })!;
        string hash = await perl.StandardOutput.ReadToEndAsync();
        await perl.WaitForExitAsync();
        return hash.StartsWith("$2b$", StringComparison.Ordinal) ? hash : throw new InvalidOperationException($"this machine's crypt made no bcrypt hash: '{hash}'");
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
