using System.Net;
using System.Net.Sockets;
using System.Text;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Client;

/// <summary>Every error code the service can send reaches the caller as an <see cref="ArkerException"/>.</summary>
/// <summary>Runs on both API generations: see the two classes at the end.</summary>
public abstract class ErrorTests(LocalServer local, ArkerProtocol protocol)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UnknownKey_IsUnauthorized401()
    {
        using ArkerClient arker = local.NewClient(protocol: protocol, configure: o => o.ApiKey = "ark_wrong");

        var error = await Assert.ThrowsAsync<ArkerException>(() => arker.ListAsync(cancellationToken: Cancellation));

        Assert.Equal(("unauthorized", 401, false), (error.Code, error.Status, error.IsTransient));
    }

    [Fact]
    public async Task ServiceErrors_KeepTheirCodeAndStatus()
    {
        Computer vm = await local.ClientFor(protocol).Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        Task<RunResult> running = vm.RunAsync("touch ~/started; sleep 1.5", Cancellation);
        await WhenItHasStartedAsync(vm, "/home/user/started"); // the VM is busy from now on

        if (protocol == ArkerProtocol.V01)
        {
            var busy = await Assert.ThrowsAsync<ArkerException>(() => vm.RunAsync("true", Cancellation));
            var forkBusy = await Assert.ThrowsAsync<ArkerException>(() => vm.ForkAsync(cancellationToken: Cancellation));
            Assert.Equal(("vm_busy", 409), (busy.Code, busy.Status));
            Assert.Equal(("vm_busy", 409), (forkBusy.Code, forkBusy.Status));
        }
        else
        {
            // resource_busy is worth retrying (with an idempotency key, safely): the run waits its turn.
            RunResult waited = await vm.RunAsync("echo after", Cancellation);
            Assert.Equal("after\n", waited.StdoutText);
            Assert.True(running.IsCompleted);
        }

        await running;
        var forbidden = await Assert.ThrowsAsync<ArkerException>(() => local.ClientFor(protocol).Vm("arkuntu").RunAsync("true", Cancellation));
        var unknown = await Assert.ThrowsAsync<ArkerException>(() => local.ClientFor(protocol).Vm("no-such-template").ForkAsync(cancellationToken: Cancellation));
        var tooLarge = await Assert.ThrowsAsync<ArkerException>(() => vm.Sync.WriteFileAsync("/home/user/huge", new ZeroStream(101L * 1024 * 1024), Cancellation));

        Assert.Equal(("forbidden", 403), (forbidden.Code, forbidden.Status));
        Assert.Equal(("not_found", 404), (unknown.Code, unknown.Status));
        Assert.Equal(("payload_too_large", 413), (tooLarge.Code, tooLarge.Status));
        if (protocol == ArkerProtocol.V01)
        {
            var region = await Assert.ThrowsAsync<ArkerException>(() => local.ClientFor(protocol).Vm("arkuntu").ForkAsync(new ForkOptions { Region = "mars-1" }, Cancellation));
            Assert.Equal(("unsupported_region", 422), (region.Code, region.Status));
        }
        else
        {
            var region = await Assert.ThrowsAsync<ArgumentException>(() => local.ClientFor(protocol).Vm("arkuntu").ForkAsync(new ForkOptions { Region = "mars-1" }, Cancellation));
            Assert.Contains("where its source lives", region.Message, StringComparison.Ordinal);
            Assert.NotNull(unknown.RequestId); // the current API names every failed request
            Assert.Contains(unknown.RequestId!, unknown.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task NoServerListening_IsRetried_ThenSaysWhereItLooked()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens on this port any more
        using ArkerClient arker = new(new ArkerClientOptions { ApiKey = "k", BaseUrl = new Uri($"http://127.0.0.1:{port}"), RetryDelay = TimeSpan.FromMilliseconds(5) });

        var error = await Assert.ThrowsAsync<ArkerException>(() => arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation));

        Assert.True(error.IsTransient);
        Assert.Equal(0, error.Status);
        Assert.Contains($"check that the Arker service at http://127.0.0.1:{port} is running", error.Message);
    }

    [Fact]
    public async Task NonJsonErrorPage_BecomesAnArkerExceptionWithItsStatus()
    {
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        int port = ((IPEndPoint)proxy.LocalEndpoint).Port;
        Task serving = ServeHtmlErrorsAsync(proxy, 403);
        using ArkerClient arker = new(new ArkerClientOptions { ApiKey = "k", BaseUrl = new Uri($"http://127.0.0.1:{port}") });

        var error = await Assert.ThrowsAsync<ArkerException>(() => arker.ListAsync(cancellationToken: Cancellation));

        Assert.Equal(("internal", 403), (error.Code, error.Status));
        Assert.Contains("<html>", error.Message);
        proxy.Stop();
        await serving;
    }

    [Fact]
    public async Task NonJson502Page_IsRetried_ThenReportedWith502()
    {
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        int port = ((IPEndPoint)proxy.LocalEndpoint).Port;
        Task<int> serving = ServeHtmlErrorsAsync(proxy, 502);
        using ArkerClient arker = new(new ArkerClientOptions { ApiKey = "k", BaseUrl = new Uri($"http://127.0.0.1:{port}"), MaxAttempts = 3, RetryDelay = TimeSpan.FromMilliseconds(10) });

        var error = await Assert.ThrowsAsync<ArkerException>(() => arker.ListAsync(cancellationToken: Cancellation));
        proxy.Stop();

        Assert.Equal(("internal", 502, true), (error.Code, error.Status, error.IsTransient));
        Assert.Equal(3, await serving);
    }

    /// <summary>Answers every request on the listener with an HTML error page; returns how many it answered.</summary>
    private static async Task<int> ServeHtmlErrorsAsync(TcpListener listener, int status)
    {
        int answered = 0;
        try
        {
            while (true)
            {
                using TcpClient connection = await listener.AcceptTcpClientAsync();
                using NetworkStream stream = connection.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync()))
                {
                }

                const string Page = "<html><body>Bad Gateway</body></html>";
                byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Error\r\nContent-Type: text/html\r\nContent-Length: {Page.Length}\r\nConnection: close\r\n\r\n{Page}");
                await stream.WriteAsync(response);
                answered++;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return answered;
        }
    }

    /// <summary>Waits until <paramref name="marker"/> exists in the VM: a command's first step has run.</summary>
    private static async Task WhenItHasStartedAsync(Computer vm, string marker)
    {
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            Assert.True(patience.Elapsed < TimeSpan.FromSeconds(30), $"{marker} never appeared: the command did not start");
            try
            {
                await vm.Sync.ReadFileAsync(marker, Cancellation);
                return;
            }
            catch (ArkerException ex) when (ex.Code == "not_found")
            {
                await Task.Delay(20, Cancellation);
            }
        }
    }
}

public sealed class ErrorTestsOnTheCurrentApi(LocalServer local) : ErrorTests(local, ArkerProtocol.Current);

public sealed class ErrorTestsOnApi01(LocalServer local) : ErrorTests(local, ArkerProtocol.V01);
