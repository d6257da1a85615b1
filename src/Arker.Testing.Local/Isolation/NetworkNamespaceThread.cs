using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Arker.Testing.Local.Native;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// As root, the server makes sockets inside VMs' network namespaces itself: one thread of its own
/// enters a namespace with <c>setns(2)</c> (which moves only the calling thread), creates the
/// sockets and comes straight back. No other work ever runs on that thread, so nothing else can
/// find itself in a VM's network.
/// </summary>
internal static class NetworkNamespaceThread
{
    private static readonly BlockingCollection<(SafeHandle Network, VmSocket[] Sockets, TaskCompletionSource<Socket[]> Made)> Requests = new();
    private static readonly Lazy<int> Home = new(() => LibC.openat(LibC.AtFdCwd, "/proc/thread-self/ns/net", LibC.ORdOnly | LibC.OCloexec, 0));

    private static bool _atHome = true;

    static NetworkNamespaceThread()
    {
        var thread = new Thread(Serve) { IsBackground = true, Name = "Arker VM network sockets" };
        thread.Start();
    }

    /// <summary>Makes <paramref name="sockets"/> in the network namespace <paramref name="network"/> (an open descriptor of it) and configures them.</summary>
    public static async Task<Socket[]> OpenAsync(SafeHandle network, VmSocket[] sockets)
    {
        var made = new TaskCompletionSource<Socket[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!Requests.TryAdd((network, sockets, made)))
        {
            throw new IOException("the server can no longer make sockets in VM networks: its socket thread could not return to its own network namespace. Restart the server.");
        }

        Socket[] created = await made.Task;
        try
        {
            for (int i = 0; i < sockets.Length; i++)
            {
                sockets[i].Configure(created[i]);
            }

            return created;
        }
        catch
        {
            foreach (Socket socket in created)
            {
                socket.Dispose();
            }

            throw;
        }
    }

    private static void Serve()
    {
        _ = Home.Value;
        foreach ((SafeHandle network, VmSocket[] sockets, TaskCompletionSource<Socket[]> made) in Requests.GetConsumingEnumerable())
        {
            try
            {
                made.SetResult(CreateIn(network, sockets));
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                made.SetException(ex);
            }

            if (!_atHome)
            {
                Requests.CompleteAdding(); // this thread stays out of every VM's network: it serves no more
                return;
            }
        }
    }

    private static Socket[] CreateIn(SafeHandle network, VmSocket[] sockets)
    {
        bool held = false;
        network.DangerousAddRef(ref held);
        var created = new List<Socket>();
        try
        {
            if (LibC.setns((int)network.DangerousGetHandle(), NetworkConstants.CloneNewNet) != 0)
            {
                throw new IOException($"the VM's network namespace cannot be entered: {LibC.Describe(LibC.LastError)}");
            }

            try
            {
                foreach (VmSocket socket in sockets)
                {
                    created.Add(socket.Create());
                }
            }
            finally
            {
                _atHome = LibC.setns(Home.Value, NetworkConstants.CloneNewNet) == 0;
            }

            return [.. created];
        }
        catch
        {
            created.ForEach(socket => socket.Dispose());
            throw;
        }
        finally
        {
            network.DangerousRelease();
        }
    }
}
