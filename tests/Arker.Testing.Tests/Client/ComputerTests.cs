using Arker.Testing.Assertions;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Client;

/// <summary>Runs on both API generations: see the two classes at the end.</summary>
public abstract class ComputerTests(LocalServer local, ArkerProtocol protocol)
{
    private readonly ArkerClient _arker = local.ClientFor(protocol);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ForkAsync_FromTheArkuntuAlias_ReturnsANewVm()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(new ForkOptions { Name = "client-hello" }, Cancellation);

        Assert.Matches("^[0-9A-Z]{26}_[a-z0-9]+$", vm.Id);
        Assert.Equal("client-hello", (await _arker.ListAsync(new ListOptions { Query = "client-hello" }, Cancellation)).Items.Single(i => i.VmId == vm.Id).Name);
    }

    [Fact]
    public async Task RunAsync_ReturnsEverythingTheCommandDid()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

        RunResult r = await vm.RunAsync("python3 -c 'print(2+2)'; echo oops >&2; cd /tmp; exit 3", Cancellation);

        Assert.Equal("4\n", r.StdoutText);
        Assert.Equal("oops\n", r.StderrText);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("0", r.SessionId);
        Assert.Equal(protocol == ArkerProtocol.V01 ? "/tmp" : "", r.Cwd); // the current API does not report it
        Assert.True(r.Duration > TimeSpan.Zero);
        Assert.Contains("exited 3", r.ToString());
    }

    [Fact]
    public async Task RunAsync_Sessions_ByStringOrInteger_KeepTheirOwnState()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

        await vm.RunAsync("cd /tmp && export WHO=seven", new RunOptions { SessionId = 7 }, Cancellation);
        await vm.RunAsync("cd /var && export WHO=build", new RunOptions { SessionId = "build" }, Cancellation);

        RunResult seven = await vm.RunAsync("echo $WHO $PWD", new RunOptions { SessionId = "7" }, Cancellation);
        RunResult build = await vm.RunAsync("echo $WHO $PWD", new RunOptions { SessionId = "build" }, Cancellation);
        Assert.Equal(("seven /tmp\n", "7"), (seven.StdoutText, seven.SessionId));
        Assert.Equal(("build /var\n", "build"), (build.StdoutText, build.SessionId));
    }

    [Fact]
    public async Task RunAsync_Timeout_KillsTheCommand_ExitCodeMinusOne()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

        RunResult r = await vm.RunAsync("echo before; sleep 30", new RunOptions { Timeout = TimeSpan.FromSeconds(1) }, Cancellation);

        Assert.Equal(-1, r.ExitCode);
        Assert.Equal("before\n", r.StdoutText);
    }

    [Fact]
    public async Task RunAsync_AllByteValues_ComeBackExactly()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await vm.Sync.WriteFileAsync("/home/user/all.bin", all, Cancellation);

        RunResult r = await vm.RunAsync("cat ~/all.bin; cat ~/all.bin >&2", Cancellation);

        Assert.Equal(all, r.Stdout);
        Assert.Equal(all, r.Stderr);
    }

    [Fact]
    public async Task ForkAsync_OfAVm_CopiesItsFiles_AndDeleteRemovesIt()
    {
        Computer parent = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        await parent.Sync.WriteFileAsync("/home/user/data.csv", "a,b\n1,2\n", Cancellation);

        Computer child = await parent.ForkAsync(cancellationToken: Cancellation);
        await child.DeleteAsync(Cancellation);

        Assert.Equal("a,b\n1,2\n", await parent.Sync.ReadFileTextAsync("/home/user/data.csv", Cancellation));
        var gone = await Assert.ThrowsAsync<ArkerException>(() => child.RunAsync("true", Cancellation));
        Assert.Equal(("not_found", 404, false), (gone.Code, gone.Status, gone.IsTransient));
        Assert.False(await child.TryDeleteAsync(Cancellation));
        Assert.True(await parent.TryDeleteAsync(Cancellation));
    }

    [Fact]
    public void Vm_MakesNoNetworkCall()
    {
        using var recorder = new RecordingHandler();
        using ArkerClient arker = local.NewClient(protocol: protocol, configure: o => o.HttpMessageHandler = recorder);

        Computer vm = arker.Vm("01ARZ3NDEKTSV4RRFFQ69G5FAV_lcl");

        Assert.Equal("01ARZ3NDEKTSV4RRFFQ69G5FAV_lcl", vm.Id);
        Assert.Empty(recorder.Requests);
    }


    [Fact]
    public async Task ForkImageAsync_MakesAVmOfTheImage_OnTheCurrentApi()
    {
        if (protocol == ArkerProtocol.V01)
        {
            var refused = await Assert.ThrowsAsync<NotSupportedException>(() => _arker.ForkImageAsync("debian:bookworm", cancellationToken: Cancellation));
            Assert.Contains("current Arker API", refused.Message);
            return;
        }

        string work = Directory.CreateTempSubdirectory("arker-client-image-").FullName;
        try
        {
            string layout = await Arker.Testing.TestSupport.TestImages.MakeAsync(work);

            Computer vm = await _arker.ForkImageAsync($"oci:{layout}:v1", new ForkOptions { Name = "from-an-image" }, Cancellation);
            RunResult seen = await vm.RunAsync("read -r line < /usr/share/marker; echo \"$line\"", Cancellation);
            var missing = await Assert.ThrowsAsync<ArkerException>(() => _arker.ForkImageAsync($"oci:{work}/none:v1", cancellationToken: Cancellation));

            Assert.Equal("from the image\n", seen.StdoutText);
            Assert.Equal(("not_found", 404), (missing.Code, missing.Status));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task WaitForPortAsync_ReturnsOnceAServiceInTheVmAcceptsConnections()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        (await vm.RunAsync("(sleep 1; exec python3 -m http.server 8001 --bind 127.0.0.1 >/dev/null 2>&1) > /dev/null 2>&1 &", Cancellation)).ShouldSucceed();

        RunResult before = await vm.RunAsync("(exec 3<>/dev/tcp/127.0.0.1/8001) 2>/dev/null && echo up || echo down", Cancellation);
        await vm.WaitForPortAsync(8001, TimeSpan.FromSeconds(30), Cancellation);
        RunResult after = await vm.RunAsync("(exec 3<>/dev/tcp/127.0.0.1/8001) 2>/dev/null && echo up || echo down", Cancellation);

        Assert.Equal(("down\n", "up\n"), (before.StdoutText, after.StdoutText));
    }

    [Fact]
    public async Task WaitForPortAsync_NothingListening_TimesOutSayingWhichPortAndHowLong()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => vm.WaitForPortAsync(8002, TimeSpan.FromSeconds(1), Cancellation));

        Assert.Contains($"Nothing in VM {vm.Id} accepted connections on its port 8002 within 1 s", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => vm.WaitForPortAsync(0, cancellationToken: Cancellation));
    }

    [Fact]
    public async Task ExposePortAsync_GivesTheTestAUrlForAServiceInTheVm_OnTheCurrentApi()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        (await vm.RunAsync("echo from-the-vm > ~/index.html && cd ~ && (python3 -m http.server 8000 >/dev/null 2>&1 &)", Cancellation)).ShouldSucceed();
        await vm.WaitForPortAsync(8000, cancellationToken: Cancellation);

        if (protocol == ArkerProtocol.V01)
        {
            var refused = await Assert.ThrowsAsync<NotSupportedException>(() => vm.ExposePortAsync(8000, Cancellation));
            Assert.Contains("current Arker API", refused.Message);
            return;
        }

        Uri url = await vm.ExposePortAsync(8000, Cancellation);
        using var http = new HttpClient();

        Assert.Equal("from-the-vm\n", await http.GetStringAsync(new Uri(url, "index.html"), Cancellation));
        Assert.Equal(url, await vm.ExposePortAsync(8000, Cancellation));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => vm.ExposePortAsync(0, Cancellation));
    }

    [Fact]
    public async Task ForwardHostPortAsync_LetsTheVmCallAServiceOfTheTest_OnTheCurrentApi()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        Task answered = Task.Run(async () =>
        {
            using System.Net.Sockets.Socket client = await listener.AcceptSocketAsync(Cancellation);
            await client.SendAsync("hello from the test\n"u8.ToArray(), Cancellation);
        }, Cancellation);

        if (protocol == ArkerProtocol.V01)
        {
            await Assert.ThrowsAsync<NotSupportedException>(() => vm.ForwardHostPortAsync(port, cancellationToken: Cancellation));
            return;
        }

        Uri inVm = await vm.ForwardHostPortAsync(port, cancellationToken: Cancellation);
        RunResult call = await vm.RunAsync($"python3 -c \"import socket; print(socket.create_connection(('127.0.0.1', {inVm.Port})).makefile().readline().strip())\"", Cancellation);
        await answered;

        Assert.Equal(new Uri($"http://127.0.0.1:{port}/"), inVm);
        Assert.Equal("hello from the test\n", call.StdoutText);
    }

    [Fact]
    public async Task SetNetworkPolicyAsync_LetsTheVmCallOneHostPort_ByTheNameOfThisMachine_OnBothApis()
    {
        Computer vm = await _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        string call = $"python3 -c \"import socket; print(socket.create_connection(('host.arker.internal', {port}), timeout=5).makefile().readline().strip())\" 2>&1 | tail -1";

        RunResult before = await vm.RunAsync(call, Cancellation); // this machine is out of reach by default
        NetworkPolicy stored = await vm.SetNetworkPolicyAsync(new NetworkPolicy([NetworkRule.AllowOutbound("host.arker.internal", port), NetworkRule.AllowInbound(8080), new NetworkRule { Direction = NetworkDirection.Outbound, Allow = false, Ips = ["10.0.0.0/8"], Ports = [new NetworkPortRange(1000, 2000)] }]), Cancellation);
        Task answered = Task.Run(async () =>
        {
            using System.Net.Sockets.Socket client = await listener.AcceptSocketAsync(Cancellation);
            await client.SendAsync("hello from the test\n"u8.ToArray(), Cancellation);
        }, Cancellation);
        RunResult after = await vm.RunAsync(call, Cancellation);
        await answered;
        NetworkPolicy read = await vm.GetNetworkPolicyAsync(Cancellation);

        Assert.DoesNotContain("hello", before.StdoutText);
        Assert.Equal("hello from the test\n", after.StdoutText);
        Assert.Equal(3, stored.Rules.Count);
        Assert.Equal(["host.arker.internal"], read.Rules[0].Hosts);
        Assert.Equal([new NetworkPortRange(port, port)], read.Rules[0].Ports);
        Assert.Equal((NetworkDirection.Inbound, true), (read.Rules[1].Direction, read.Rules[1].Allow));
        Assert.Equal((false, "10.0.0.0/8", 1000, 2000), (read.Rules[2].Allow, read.Rules[2].Ips[0], read.Rules[2].Ports[0].First, read.Rules[2].Ports[0].Last));
        Assert.Empty((await vm.SetNetworkPolicyAsync(NetworkPolicy.Default, Cancellation)).Rules);
    }
}

public sealed class ComputerTestsOnTheCurrentApi(LocalServer local) : ComputerTests(local, ArkerProtocol.Current);

public sealed class ComputerTestsOnApi01(LocalServer local) : ComputerTests(local, ArkerProtocol.V01);
