using System.Diagnostics;
using System.Globalization;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// A host "outside" this machine, made on it: a network namespace of its own joined to this one
/// by a veth pair (this side 10.213.N.1, that side 10.213.N.2), with a TCP service on port 80
/// that greets each connection. Needs root. Everything is removed on disposal.
/// </summary>
internal sealed class OutsideHost : IAsyncDisposable
{
    private readonly string _name;
    private readonly Process _service;

    private OutsideHost(string name, string address, Process service)
    {
        _name = name;
        Address = address;
        _service = service;
    }

    public string Address { get; }

    public const string Greeting = "outside host";

    public static async Task<OutsideHost> StartAsync()
    {
        int subnet = Random.Shared.Next(1, 250);
        string name = "arker-out-" + subnet.ToString(CultureInfo.InvariantCulture);
        string address = $"10.213.{subnet}.2";
        await RunAsync("ip", "netns", "add", name);
        await RunAsync("ip", "link", "add", $"ao{subnet}", "type", "veth", "peer", "name", $"ai{subnet}");
        await RunAsync("ip", "link", "set", $"ai{subnet}", "netns", name);
        await RunAsync("ip", "addr", "add", $"10.213.{subnet}.1/30", "dev", $"ao{subnet}");
        await RunAsync("ip", "link", "set", $"ao{subnet}", "up");
        await RunAsync("ip", "netns", "exec", name, "ip", "addr", "add", $"{address}/30", "dev", $"ai{subnet}");
        await RunAsync("ip", "netns", "exec", name, "ip", "link", "set", $"ai{subnet}", "up");
        string server = $"import socket\ns = socket.socket()\ns.bind(('{address}', 80))\ns.listen()\nprint('ready', flush=True)\nwhile True:\n    c, _ = s.accept()\n    c.sendall(b'{Greeting}\\n')\n    c.close()\n";
        var service = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", name, "python3", "-c", server]) { RedirectStandardOutput = true })!;
        Assert.Equal("ready", await service.StandardOutput.ReadLineAsync());
        return new OutsideHost(name, address, service);
    }

    public async ValueTask DisposeAsync()
    {
        _service.Kill();
        await _service.WaitForExitAsync();
        _service.Dispose();
        await RunAsync("ip", "netns", "del", _name); // takes its end of the pair, and so the pair, with it
    }

    private static async Task RunAsync(params string[] command)
    {
        using var process = Process.Start(new ProcessStartInfo(command[0], command[1..]) { RedirectStandardError = true })!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', command)}: {error}");
    }
}
