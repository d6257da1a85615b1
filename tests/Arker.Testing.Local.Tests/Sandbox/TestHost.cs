using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// A tiny TCP service on this machine for network tests: it answers every connection with its
/// greeting, then closes, and counts the connections it got (a refused connection never arrives).
/// </summary>
internal sealed class TestHost : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _serving;
    private int _connections;

    public TestHost(string greeting, string address = "127.0.0.1")
    {
        Greeting = greeting;
        _listener = new TcpListener(IPAddress.Parse(address), 0);
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Greeting { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>A shell line for the VM: what <paramref name="host"/>:<see cref="Port"/> answers, or nothing.</summary>
    public string Fetch(string host) => Fetch(host, Port);

    public static string Fetch(string host, int port) => $"timeout 10 bash -c 'exec 3<>/dev/tcp/{host}/{port} && cat <&3' 2>/dev/null; echo \"[{host}:{port} done]\"";

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stopping.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            using Socket client = await _listener.AcceptSocketAsync(_stopping.Token);
            Interlocked.Increment(ref _connections);
            await client.SendAsync(Encoding.ASCII.GetBytes(Greeting + "\n"), SocketFlags.None, _stopping.Token);
            client.Shutdown(SocketShutdown.Both);
        }
    }
}
