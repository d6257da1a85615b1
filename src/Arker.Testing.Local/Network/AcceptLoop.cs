using System.Net.Sockets;

namespace Arker.Testing.Local.Network;

/// <summary>The accepting side of a port link: each connection carried on its own until the link stops.</summary>
internal static class AcceptLoop
{
    /// <summary>Accepts connections until stopped, carrying each on its own; returns once every one has ended.</summary>
    public static async Task RunAsync(Func<CancellationToken, ValueTask<Socket>> accept, Func<Socket, Task> carry, CancellationToken stopping)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                Socket connection = await accept(stopping);
                connections.RemoveAll(c => c.IsCompleted);
                connections.Add(carry(connection));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped: the link was closed, or the VM deleted.
        }

        await Task.WhenAll(connections);
    }
}
