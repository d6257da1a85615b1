using Arker.Testing.TestSupport;
using System.Diagnostics;
using Arker.Testing.Client;

namespace Arker.Testing.Bench;

/// <summary>
/// An HTTP server in a VM called from here through its exposed port, beside the same server run
/// on the host, taking turns: the round trip of one small request on a kept-alive connection.
/// </summary>
internal static class NetworkBenchmarks
{
    /// <summary>A tiny HTTP/1.1 server (keep-alive) answering "ok" on the port given, in one write.</summary>
    private const string Server = """
        import sys
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            def log_message(self, *a): pass
        ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
        """;

    /// <summary>Opens a new connection per request to the URL given, N times, and prints each request's milliseconds.</summary>
    private const string Caller = """
        import sys, time, urllib.request
        url, n = sys.argv[1], int(sys.argv[2])
        for i in range(n):
            started = time.perf_counter()
            urllib.request.urlopen(url).read()
            print(f"{(time.perf_counter() - started) * 1000:.3f}")
        """;

    public static async Task RunAsync(Report report)
    {
        await FirstCommandAsync(report);
        await ExposedPortAsync(report);
        await OutboundConnectionsAsync(report);
    }

    /// <summary>
    /// What a VM's outbound connection costs: a program makes one HTTP request per new connection
    /// to a server on this machine, from inside a VM (through its gateway, as host.arker.internal)
    /// and from the host itself, taking turns in rounds.
    /// </summary>
    private static async Task OutboundConnectionsAsync(Report report)
    {
        await using ServerProcess server = await BenchServer.StartAsync();
        using var arker = new ArkerClient(new ArkerClientOptions { ApiKey = BenchServer.ApiKey, BaseUrl = new Uri(server.BaseUrl, "/api") });
        Computer vm = await arker.Vm(RawApi.BaseVmId).ForkAsync();
        string callerScript = Path.Combine(Path.GetTempPath(), $"arker-bench-caller-{Environment.ProcessId}.py");
        await File.WriteAllTextAsync(callerScript, Caller);
        using HostHttpServer onHost = await HostHttpServer.StartAsync(Server);
        string port = onHost.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await vm.SetNetworkPolicyAsync(new NetworkPolicy([NetworkRule.AllowOutbound("host.arker.internal", onHost.Port)]));
            await vm.Sync.WriteFileAsync("/home/user/caller.py", Caller);

            var fromVm = new Samples();
            var fromHost = new Samples();
            await vm.RunAsync($"python3 caller.py http://host.arker.internal:{port}/ 20"); // warm-up
            for (int round = 0; round < 10; round++)
            {
                RunResult inVm = await vm.RunAsync($"python3 caller.py http://host.arker.internal:{port}/ 50");
                AddEach(fromVm, inVm.StdoutText);
                using var onHostCaller = Process.Start(new ProcessStartInfo("python3", [callerScript, $"http://127.0.0.1:{port}/", "50"]) { RedirectStandardOutput = true })!;
                AddEach(fromHost, await onHostCaller.StandardOutput.ReadToEndAsync());
                await onHostCaller.WaitForExitAsync();
            }

            report.Section("A VM's outbound connections (a new connection and one HTTP request each, to a server on this machine, taking turns)");
            report.Row("from a VM, through its gateway (host.arker.internal)", fromVm, "ms");
            report.Row("from the host itself (127.0.0.1)", fromHost, "ms");
            report.Ratio("VM ÷ host (p50)", fromVm.P50 / fromHost.P50);
        }
        finally
        {
            File.Delete(callerScript);
            await vm.DeleteAsync();
        }
    }

    private static void AddEach(Samples samples, string milliseconds)
    {
        foreach (string line in milliseconds.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            samples.Add(TimeSpan.FromMilliseconds(double.Parse(line, System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>
    /// A new fork's first command on a server whose VMs have networks with gateways (the default)
    /// and on one with networking off (loopback only), taking turns: what a VM's network costs.
    /// </summary>
    private static async Task FirstCommandAsync(Report report)
    {
        await using ServerProcess on = await BenchServer.StartAsync();
        await using ServerProcess off = await BenchServer.StartAsync(null, "--network", "off");
        RawApi[] servers = [RawApi.Create(on.BaseUrl, BenchServer.ApiKey), RawApi.Create(off.BaseUrl, BenchServer.ApiKey)];
        var first = new[] { new Samples(), new Samples() };
        for (int i = 0; i < 220; i++)
        {
            for (int s = 0; s < 2; s++)
            {
                string vm = await servers[s].ForkAsync();
                Samples into = i < 20 ? new Samples() : first[s]; // the first rounds warm up
                await into.TimeAsync(() => servers[s].RunAsync(vm, "true"));
                await servers[s].DeleteAsync(vm);
            }
        }

        report.Section("A VM's network (a new fork's first command; two servers taking turns)");
        report.Row("networking on: a ready namespace from the pool, with its gateway", first[0], "ms");
        report.Row("networking off (--network off): the sandbox makes a loopback-only namespace", first[1], "ms");
        report.Ratio("first command, on ÷ off (p50; target ≤ 1.3×)", first[0].P50 / first[1].P50);
    }

    private static async Task ExposedPortAsync(Report report)
    {
        await using ServerProcess server = await BenchServer.StartAsync();
        using var arker = new ArkerClient(new ArkerClientOptions { ApiKey = BenchServer.ApiKey, BaseUrl = new Uri(server.BaseUrl, "/api") });
        Computer vm = await arker.Vm(RawApi.BaseVmId).ForkAsync();
        using HostHttpServer onHost = await HostHttpServer.StartAsync(Server);
        try
        {
            await vm.Sync.WriteFileAsync("/home/user/server.py", Server);
            await vm.RunAsync("(python3 server.py 8080 >/dev/null 2>&1 &); for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.05; done");
            Uri inVm = await vm.ExposePortAsync(8080);
            Uri onHostUrl = onHost.Url;
            using var http = new HttpClient();
            await http.GetStringAsync(inVm);

            var vmTrips = new Samples();
            var hostTrips = new Samples();
            for (int round = 0; round < 20; round++)
            {
                for (int i = 0; i < 25; i++)
                {
                    await vmTrips.TimeAsync(() => http.GetStringAsync(inVm));
                }

                for (int i = 0; i < 25; i++)
                {
                    await hostTrips.TimeAsync(() => http.GetStringAsync(onHostUrl));
                }
            }

            report.Section("Exposed guest ports (same HTTP server in a VM and on the host, kept-alive connection, taking turns)");
            report.Row("HTTP round trip to a VM's exposed port", vmTrips, "ms");
            report.Row("the same server on the host", hostTrips, "ms");
            report.Ratio("VM's exposed port ÷ host (p50; target ≤ 3×)", vmTrips.P50 / hostTrips.P50);
        }
        finally
        {
            await vm.DeleteAsync();
        }
    }
}
