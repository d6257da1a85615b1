using System.Diagnostics;
using System.Reflection;

namespace Arker.Testing.Bench;

/// <summary>The local server as its own process, as users run it, so its memory can be read apart.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    public const string ApiKey = "ark_local_bench";
    private readonly Process _process;

    private ServerProcess(Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>
    /// Starts the server; with <paramref name="asUser"/>, as that unprivileged account (through
    /// setpriv, from this process as root), so it runs rootless; <paramref name="options"/> are more of arker-local's options.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string? asUser = null, params string[] options)
    {
        // ARKER_BENCH_SERVER names another build of arker-local (an earlier commit's, say), to compare.
        string dll = Path.GetFullPath(Environment.GetEnvironmentVariable("ARKER_BENCH_SERVER")
            ?? typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ArkerLocalCommand").Value!);
        string[] server = ["dotnet", dll, "--urls", "http://127.0.0.1:0", "--api-key", ApiKey, .. options];
        string[] command = asUser is null ? server
            : ["setpriv", $"--reuid={asUser}", $"--regid={asUser}", "--init-groups", "--", "env", $"HOME=/tmp", $"PATH={Environment.GetEnvironmentVariable("PATH")}", "DOTNET_NOLOGO=1", .. server];
        var start = new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true };
        var process = Process.Start(start)!;
        const string Banner = "Arker local server on ";
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(Banner, StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync();
                _ = process.StandardError.ReadToEndAsync();
                return new ServerProcess(process, new Uri(line[Banner.Length..].Split(' ')[0]));
            }
        }

        throw new InvalidOperationException("the server did not start: " + await process.StandardError.ReadToEndAsync());
    }

    /// <summary>Resident and peak resident memory of the server process, in MiB.</summary>
    public (double Rss, double Peak) Memory()
    {
        double Read(string key) => double.Parse(File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        return (Read("VmRSS:"), Read("VmHWM:"));
    }

    public async ValueTask DisposeAsync()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
