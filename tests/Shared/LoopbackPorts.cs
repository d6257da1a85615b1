using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Arker.Testing.TestSupport;

/// <summary>Ports of this machine's loopback address for the servers tests start themselves (a registry, a package repository).</summary>
internal static class LoopbackPorts
{
    /// <summary>A port of 127.0.0.1 nothing listens on now.</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on 127.0.0.1:<paramref name="port"/>; fails if <paramref name="server"/> ends first, or after ten seconds.</summary>
    public static async Task WaitUntilAnsweredAsync(int port, Process server, Func<string> why)
    {
        for (int attempt = 0; !Answers(port); attempt++)
        {
            if (attempt > 400 || server.HasExited)
            {
                throw new InvalidOperationException($"nothing answered on 127.0.0.1:{port}: {why()}");
            }

            await Task.Delay(25);
        }
    }

    private static bool Answers(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
