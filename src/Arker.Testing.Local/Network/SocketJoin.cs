using System.Net.Sockets;

namespace Arker.Testing.Local.Network;

/// <summary>Two connected sockets joined into one connection, as the port relays need.</summary>
internal static class SocketJoin
{
    /// <summary>Copies both ways until both sides have ended (each side's end of data is passed on), or either fails.</summary>
    public static Task CarryAsync(Socket one, Socket other, CancellationToken cancellationToken) =>
        Task.WhenAll(PipeAsync(one, other, cancellationToken), PipeAsync(other, one, cancellationToken));

    /// <summary>
    /// Copies one direction until its end of data, then passes that end on. If either side fails
    /// (reset, or the relay stops), the whole connection is over: both sockets close, which ends
    /// the other direction too.
    /// </summary>
    private static async Task PipeAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            from.Close();
            to.Close();
        }
    }
}
