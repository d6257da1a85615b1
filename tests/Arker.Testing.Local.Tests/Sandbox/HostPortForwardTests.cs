using System.Net;
using System.Net.Sockets;
using System.Text;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// Host ports offered to a VM (<c>POST /api/v1/vms/{id}/host-ports</c>, a local extension): a
/// program in the VM reaches a service the test started, at the VM's own 127.0.0.1, and nothing
/// else of the host: not the server's API, not other host ports, not after the forward closes.
/// </summary>
public sealed class HostPortForwardTests(LocalServerFixture fixture)
{
    private readonly ApiClient _v01 = fixture.Api;
    private readonly ApiClient _api = new(fixture.Http, fixture.Server.ApiBaseUrl, fixture.Api.ApiKey);

    [Fact]
    public async Task AProgramInTheVm_ReachesTheOfferedHostPort_AndNothingElseOfTheHost()
    {
        using var service = new AnsweringService("pong");
        using var other = new AnsweringService("secret");
        string vm = await _v01.ForkAsync();

        JsonElement offered = (await _api.PostAsync($"/v1/vms/{vm}/host-ports", new { port = service.Port })).Ok();
        RunResult call = await _v01.RunAsync(vm, Ask(service.Port));
        RunResult toOther = await _v01.RunAsync(vm, Ask(other.Port));
        RunResult toApi = await _v01.RunAsync(vm, Ask(fixture.Server.BaseUrl.Port));

        Assert.Equal(service.Port, offered.GetProperty("guest_port").GetInt32());
        Assert.Equal($"http://127.0.0.1:{service.Port}/", offered.GetProperty("guest_url").GetString());
        Assert.Equal("pong\n", call.StdoutText);
        Assert.Equal("refused\n", toOther.StdoutText);
        Assert.Equal("refused\n", toApi.StdoutText);
        Assert.Equal(1, service.Connections);
        Assert.Equal(0, other.Connections);
    }

    [Fact]
    public async Task AnotherGuestPort_AnotherVm_AndAClosedForward_DoNotReachIt()
    {
        using var service = new AnsweringService("pong");
        string vm = await _v01.ForkAsync();
        string otherVm = await _v01.ForkAsync();
        (await _api.PostAsync($"/v1/vms/{vm}/host-ports", new { port = service.Port, guest_port = 5000 })).Ok();

        RunResult atGuestPort = await _v01.RunAsync(vm, Ask(5000));
        RunResult fromOtherVm = await _v01.RunAsync(otherVm, Ask(5000));
        (await _api.DeleteAsync($"/v1/vms/{vm}/host-ports/5000")).Ok();
        RunResult afterClose = await _v01.RunAsync(vm, Ask(5000));

        Assert.Equal("pong\n", atGuestPort.StdoutText);
        Assert.Equal("refused\n", fromOtherVm.StdoutText);
        Assert.Equal("refused\n", afterClose.StdoutText);
        (await _api.DeleteAsync($"/v1/vms/{vm}/host-ports/5000")).CurrentError(404, "not_found");
    }

    [Fact]
    public async Task BadRequests_AreClearErrors()
    {
        string vm = await _v01.ForkAsync();
        (await _api.PostAsync($"/v1/vms/{vm}/host-ports", new { port = 5001, guest_port = 6000 })).Ok();

        (await _api.PostAsync($"/v1/vms/{vm}/host-ports", new { port = 5002, guest_port = 6000 })).CurrentError(409, "conflict");
        (await _api.PostAsync($"/v1/vms/{vm}/host-ports", new { port = 5001, guest_port = 80 })).CurrentError(400, "bad_request");
        (await _api.PostAsync($"/v1/vms/{vm}/host-ports", new { port = 0 })).CurrentError(400, "bad_request");
        (await _api.PostAsync($"/v1/vms/{vm}/host-ports", new { guest_port = 6001 })).CurrentError(400, "bad_request");
    }

    /// <summary>A VM command that connects to its 127.0.0.1:<paramref name="port"/> and prints the first line it gets, or "refused".</summary>
    private static string Ask(int port) =>
        $"python3 -c \"import socket\ntry:\n s = socket.create_connection(('127.0.0.1', {port}), 5); print(s.makefile().readline().strip() or 'refused')\nexcept OSError: print('refused')\"";

    /// <summary>A TCP service on a free port of this machine that answers each connection with one line.</summary>
    private sealed class AnsweringService : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private int _connections;

        public AnsweringService(string answer)
        {
            _listener.Start();
            _ = ServeAsync(Encoding.ASCII.GetBytes(answer + "\n"));
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public void Dispose() => _listener.Stop();

        private async Task ServeAsync(byte[] answer)
        {
            try
            {
                while (true)
                {
                    using Socket client = await _listener.AcceptSocketAsync();
                    Interlocked.Increment(ref _connections);
                    await client.SendAsync(answer);
                    client.Shutdown(SocketShutdown.Both);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }
}
