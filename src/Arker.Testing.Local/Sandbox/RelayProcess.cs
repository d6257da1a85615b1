using System.Diagnostics;
using System.Net.Sockets;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// What the two kinds of port link share (<see cref="ExposedPort"/>, <see cref="HostPortForward"/>):
/// the relay process in the VM's network namespace, which says <c>ready</c> once it listens and
/// exits when its stdin closes, and the loop that accepts connections on the server's side.
/// </summary>
internal static class RelayProcess
{
    /// <summary>The longest path a Unix socket can be bound or connected at.</summary>
    public static void CheckSocketPath(string path)
    {
        if (path.Length > 107)
        {
            throw new IOException($"the relay socket's path {path} is longer than a Unix socket allows (107 bytes): use a shorter data root");
        }
    }

    /// <summary>Starts a relay and waits until it listens; if it cannot, <paramref name="failure"/> turns its error output into the exception.</summary>
    public static async Task<Process> StartAsync(ProcessStartInfo relay, Func<string, Exception> failure)
    {
        Process process = await ChildProcesses.StartAsync(relay);
        string? ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (ready == "ready")
        {
            return process;
        }

        ChildProcesses.Kill(process);
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.Dispose();
        throw failure(error.Trim());
    }

    /// <summary>Ends a relay (it exits when its stdin closes, with the connections it still carries).</summary>
    public static void Stop(Process relay)
    {
        relay.StandardInput.Close();
        if (!relay.WaitForExit(5000))
        {
            relay.Kill(entireProcessTree: true);
        }

        relay.Dispose();
    }

    /// <summary>Accepts connections until stopped, carrying each on its own; returns once every one has ended.</summary>
    public static async Task AcceptAsync(Func<CancellationToken, ValueTask<Socket>> accept, Func<Socket, Task> carry, CancellationToken stopping)
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
