using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Network;

/// <summary>
/// VM networks made ahead of need (<see cref="PreparedNetwork"/>). Making one takes a few
/// milliseconds (a namespace, its routes and firewall set through netlink by the namespace helper,
/// the gateway's sockets made in it); taking one is free, so a new VM's first command does not
/// wait for its network. A network taken is replaced in the background.
/// </summary>
internal sealed class GatewayPool : IDisposable
{
    private const int Size = 2;
    private readonly INetworkSetup _setup;
    private readonly ILogger _logger;
    private readonly Queue<Task<PreparedNetwork>> _ready = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    private GatewayPool(INetworkSetup setup, ILogger logger)
    {
        _setup = setup;
        _logger = logger;
    }

    /// <summary>
    /// A pool whose first network is made now, to prove this machine can: null, with the reason,
    /// when it cannot (a kernel without nftables NAT or TPROXY, say), in
    /// which case VMs have their own loopback only.
    /// </summary>
    public static async Task<(GatewayPool? Pool, string? Reason)> StartAsync(INetworkSetup setup, ILogger logger)
    {
        if (setup.MissingPrerequisites() is { } missing)
        {
            return (null, missing);
        }

        var pool = new GatewayPool(setup, logger);
        try
        {
            PreparedNetwork first = await pool.MakeAsync();
            lock (pool._gate)
            {
                pool._ready.Enqueue(Task.FromResult(first));
            }

            pool.Refill();
            return (pool, null);
        }
        catch (IOException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>A network of its own, ready for a VM.</summary>
    public async Task<PreparedNetwork> TakeAsync()
    {
        Task<PreparedNetwork> next;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            next = _ready.TryDequeue(out Task<PreparedNetwork>? made) ? made : Task.Run(MakeAsync);
        }

        Refill();
        return await next;
    }

    public void Dispose()
    {
        Task<PreparedNetwork>[] left;
        lock (_gate)
        {
            _disposed = true;
            left = [.. _ready];
            _ready.Clear();
        }

        foreach (Task<PreparedNetwork> made in left)
        {
            _ = made.ContinueWith(network => network.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    private void Refill()
    {
        lock (_gate)
        {
            while (!_disposed && _ready.Count < Size)
            {
                Task<PreparedNetwork> making = Task.Run(MakeAsync); // off this thread and this lock: the helper makes a network synchronously
                _ready.Enqueue(making);
                _ = making.ContinueWith(
                    failed => _logger.LogWarning(failed.Exception!.GetBaseException(), "A VM network could not be made ahead of need"),
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Makes a VM network's namespace (see <see cref="INetworkSetup.MakeNamespace"/>) and the gateway's sockets in it.</summary>
    private async Task<PreparedNetwork> MakeAsync()
    {
        SafeFileHandle networkNamespace = _setup.MakeNamespace();
        try
        {
            return new PreparedNetwork(networkNamespace, await _setup.OpenSocketsAsync(networkNamespace, PreparedNetwork.GatewaySockets));
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            networkNamespace.Dispose();
            throw new IOException($"a VM network's gateway sockets could not be made: {ex.Message}", ex);
        }
        catch
        {
            networkNamespace.Dispose();
            throw;
        }
    }
}
