using System.Globalization;
using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Sandbox;
using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>What a VM must not be able to do to its host, tried for real from inside.</summary>
public sealed class ContainmentTests(LocalServerFixture fixture)
{
    private readonly ApiClient _api = fixture.Api;

    /// <summary>The owner of a file as the host sees it.</summary>
    private static string HostOwner(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        string owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return owner;
    }

    [Fact]
    public async Task Vm_CannotSeeHostHomesTheCheckoutOrTheServersData()
    {
        string vm = await _api.ForkAsync();
        string checkout = AppContext.BaseDirectory;
        string dataRoot = Path.Combine(Path.GetTempPath(), "arker-local");

        RunResult result = await _api.RunAsync(vm, $"ls /root /work '{checkout}' '{dataRoot}' 2>&1; ls /home; cat /etc/shadow 2>&1; ls /proc/1/root/ 2>&1 | head -3");

        Assert.DoesNotContain("Arker.Testing.Local.Tests.dll", result.StdoutText);
        Assert.Contains("/root': No such file or directory", result.StdoutText);
        Assert.Contains($"'{dataRoot}': No such file or directory", result.StdoutText);
        Assert.Contains("\nuser\n", "\n" + result.StdoutText);
        Assert.DoesNotContain("root:", result.StdoutText);
        Assert.True(File.Exists(Path.Combine(checkout, "Arker.Testing.Local.Tests.dll")));
    }

    [Fact]
    public async Task Vm_IsUid1000Inside_ButAnUnusedUidOnTheHost_NotAPersonsUid1000()
    {
        string vm = await _api.ForkAsync();
        await _api.WriteAsync(vm, "/home/user/from-api", "x"u8.ToArray());

        RunResult result = await _api.RunAsync(vm, "echo made > ~/made-inside; id -u; stat -c %u ~/from-api; sleep 6301 &");

        Assert.Equal("1000\n1000\n", result.StdoutText);
        await Eventually.UntilAsync(() => HostProcesses.Find("sleep 6301").Any(), "the VM's sleep 6301 running, seen from this machine"); // started in the background
        string process = Assert.Single(HostProcesses.Find("sleep 6301"));
        string hostUid = SandboxIdentity.HostUserId.ToString(CultureInfo.InvariantCulture);
        string uids = File.ReadLines(Path.Combine(process, "status")).Single(line => line.StartsWith("Uid:", StringComparison.Ordinal));
        Assert.Equal(["Uid:", hostUid, hostUid, hostUid, hostUid], uids.Split('\t', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(hostUid, HostOwner(Path.Combine(process, "root/home/user/made-inside")));
        Assert.Equal(hostUid, HostOwner(Path.Combine(process, "root/home/user/from-api")));
        if (!ServerMounts.Rootless)
        {
            // As root, a uid no account has; without root, the invoking user's own (as in rootless Podman).
            Assert.DoesNotContain($":{hostUid}:", File.ReadAllText("/etc/passwd"));
        }
        else
        {
            string ownUid = File.ReadLines("/proc/self/status").Single(line => line.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1];
            Assert.Equal(ownUid, hostUid);
        }

        (await _api.DeleteAsync($"/api/v1/vms/{vm}")).Ok();
        Assert.Empty(HostProcesses.Find("sleep 6301"));
    }

    [Fact]
    public async Task Vm_SeesOnlyItsOwnProcesses_AndCannotSignalTheServer()
    {
        string vm = await _api.ForkAsync();

        RunResult result = await _api.RunAsync(vm, $"ps -e -o comm= | sort -u | tr '\\n' ' '; kill -9 {Environment.ProcessId} 2>&1; echo \" kill:$?\"");

        Assert.DoesNotContain("dotnet", result.StdoutText);
        Assert.DoesNotContain("testhost", result.StdoutText);
        Assert.Contains("kill:1", result.StdoutText);
        Assert.False(System.Diagnostics.Process.GetCurrentProcess().HasExited);
    }

    [Fact]
    public async Task Vm_HasNoNetwork_SoItCannotReachTheServersApi()
    {
        string vm = await _api.ForkAsync();
        int port = fixture.Server.BaseUrl.Port;

        RunResult result = await _api.RunAsync(vm, $"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected || echo refused; ls /sys/class/net 2>/dev/null | tr '\\n' ' '", timeout: 10);

        Assert.Contains("refused", result.StdoutText);
        Assert.DoesNotContain("connected", result.StdoutText);
    }

    [Fact]
    public async Task Vm_CannotMountChrootOrBecomeRoot()
    {
        string vm = await _api.ForkAsync();

        RunResult result = await _api.RunAsync(vm,
            "mount -t tmpfs x /tmp 2>&1; echo mount:$?; chroot / true 2>&1; echo chroot:$?; unshare -r true 2>&1; echo unshare:$?; grep CapEff /proc/self/status");

        Assert.Contains("mount:32", result.StdoutText);
        Assert.Contains("chroot:125", result.StdoutText);
        Assert.DoesNotContain("unshare:0", result.StdoutText);
        Assert.Contains("CapEff:\t0000000000000000", result.StdoutText);
    }

    [Fact]
    public async Task Vm_CannotWriteTheHostsUsr()
    {
        string vm = await _api.ForkAsync();

        RunResult result = await _api.RunAsync(vm, "touch /usr/bin/arker-was-here 2>&1; echo status:$?");

        Assert.Contains("status:1", result.StdoutText);
        Assert.False(File.Exists("/usr/bin/arker-was-here"));
    }

    [Fact]
    public async Task Vm_ForkBombAndMemoryHog_AreContainedByTheVmsLimits()
    {
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { ProcessLimit = 64, MemoryLimitBytes = 128L * 1024 * 1024 }, TestContext.Current.CancellationToken);
        if (server.Isolation.Contains("no cgroup limits", StringComparison.Ordinal))
        {
            Assert.True(ServerMounts.Rootless, $"as root this machine must give the server cgroup limits; it reports: {server.Isolation}");
            Assert.Skip("No limits exist here: the server runs without root and has no delegated cgroup v2 tree (its start-up warning says so).");
        }

        var api = new ApiClient(fixture.Http, server.V01BaseUrl, server.ApiKey);
        string vm = await api.ForkAsync();

        const string ForkBomb = """
            python3 -c '
            import os, time
            children = []
            try:
                for _ in range(200):
                    pid = os.fork()
                    if pid == 0:
                        time.sleep(30)
                        os._exit(0)
                    children.append(pid)
            except OSError:
                print("refused after", len(children))
            for pid in children:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            '
            """;
        RunResult bomb = (await api.RunAsync(vm, ForkBomb, timeout: 60)).Succeeded();
        RunResult hog = await api.RunAsync(vm, "python3 -c \"b = bytearray(512 * 1024 * 1024); print('allocated')\"; echo exit:$?", sessionId: "hog", timeout: 30);

        Assert.StartsWith("refused after ", bomb.StdoutText);
        Assert.InRange(int.Parse(bomb.StdoutText["refused after ".Length..], System.Globalization.CultureInfo.InvariantCulture), 1, 63);
        Assert.DoesNotContain("allocated", hog.StdoutText);
        Assert.Contains("exit:137", hog.StdoutText);
        Assert.Equal("alive\n", (await api.RunAsync(vm, "echo alive", sessionId: "after")).StdoutText);
    }

    [Fact]
    public async Task FileApi_CannotLeaveHomeThroughPathsOrSymbolicLinks()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "ln -s /etc/passwd ~/passwd-link && ln -s / ~/root-link && mkdir -p ~/inside && ln -s inside ~/inside-link && echo ok > ~/inside/f && ln -s inside/f ~/file-link && ln -s nowhere ~/dangling")).Succeeded();

        string[] outside = ["/etc/passwd", "/home/user/../../etc/passwd", "/home/userx/f", "home/user/f", "/home/user", "/home/user/passwd-link", "/home/user/root-link/etc/hostname"];
        foreach (string path in outside)
        {
            (await _api.ReadRawAsync(vm, path)).Error(400, "bad_request");
            JsonElement write = (await _api.WriteRawAsync(vm, ApiClient.InlineEntry(path, "pwned"u8.ToArray()))).Ok().GetProperty("results")[0];
            Assert.Equal("bad_request", write.GetProperty("error").GetProperty("code").GetString());
        }

        (await _api.ReadRawAsync(vm, "/home/user/dangling")).Error(404, "not_found");
        JsonElement dangling = (await _api.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/dangling", "x"u8.ToArray()))).Ok().GetProperty("results")[0];
        Assert.Equal("bad_request", dangling.GetProperty("error").GetProperty("code").GetString());
        (await _api.ReadRawAsync(vm, "/home/user/f\0x")).Error(400, "bad_request");
        (await _api.ReadRawAsync(vm, "/home/user/" + new string('a', 4100))).Error(400, "bad_request");
        Assert.Equal("ok\n"u8.ToArray(), await _api.ReadAsync(vm, "/home/user/inside-link/f"));
        await _api.WriteAsync(vm, "/home/user/inside-link/f", "through a link inside home"u8.ToArray());
        Assert.Equal("through a link inside home", (await _api.RunAsync(vm, "cat ~/inside/f; test -L ~/inside-link && echo")).StdoutText.TrimEnd());
        await _api.WriteAsync(vm, "/home/user/file-link", "through a file link"u8.ToArray());
        Assert.Equal("inside/f\nthrough a file link", (await _api.RunAsync(vm, "readlink ~/file-link; cat ~/inside/f")).StdoutText);
        Assert.Equal("root:x:0:0:root:/root:/bin/bash\n", (await _api.RunAsync(vm, "head -1 /etc/passwd")).StdoutText);
        Assert.DoesNotContain("pwned", File.ReadAllText("/etc/passwd"));
    }

    [Fact]
    public async Task FileApi_WriteThroughASymlinkedDirectoryOutsideHome_IsRefused()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "ln -s /tmp ~/tmp-link")).Succeeded();

        JsonElement write = (await _api.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/tmp-link/planted", "x"u8.ToArray()))).Ok().GetProperty("results")[0];

        Assert.Equal("bad_request", write.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("absent\n", (await _api.RunAsync(vm, "test -e /tmp/planted && echo present || echo absent")).StdoutText);
    }
}
