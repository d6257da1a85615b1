using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// A TCP service on this machine that accepts connections and holds them open, saying nothing,
/// until the other side ends one (then it closes it too) or it is disposed; it counts those it holds.
/// </summary>
internal sealed class HoldingHost : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Socket> _held = [];
    private readonly Task _accepting;

    public HoldingHost()
    {
        _listener.Start(4096);
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Held
    {
        get
        {
            lock (_held)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> connections are held.</summary>
    public async Task WaitForAsync(int count, TimeSpan patience)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Held < count)
        {
            Assert.True(waited.Elapsed < patience, $"only {Held} of {count} connections arrived within {patience.TotalSeconds} s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_held)
        {
            _held.ForEach(socket => socket.Dispose());
        }

        _stopping.Dispose();
    }

    private async Task HoldAsync(Socket connection)
    {
        try
        {
            while (await connection.ReceiveAsync(new byte[64], System.Net.Sockets.SocketFlags.None, _stopping.Token) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped, or reset.
        }

        lock (_held)
        {
            _held.Remove(connection);
        }

        connection.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                Socket connection = await _listener.AcceptSocketAsync(_stopping.Token);
                lock (_held)
                {
                    _held.Add(connection);
                }

                _ = HoldAsync(connection);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }
}
