using System.Diagnostics;
using Arker.Testing.Local.Sandbox;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Network;

/// <summary>
/// VM networks made ahead of need. Each is a gateway relay (see <see cref="OutboundGateway"/>)
/// already running in a network namespace of its own, with its loopback up and the nftables rules
/// that send the VM's traffic to it, waiting to be told its VM. Making one takes a few
/// milliseconds (a namespace, <c>ip</c>, <c>nft</c>, perl); taking one is free, so a new VM's
/// first command does not wait for its network. A VM taken is replaced in the background.
/// </summary>
internal sealed class GatewayPool : IAsyncDisposable
{
    private const int Size = 2;
    private readonly Func<ProcessStartInfo> _startInfo;
    private readonly ILogger _logger;
    private readonly Queue<Task<Process>> _ready = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    private GatewayPool(Func<ProcessStartInfo> startInfo, ILogger logger)
    {
        _startInfo = startInfo;
        _logger = logger;
    }

    /// <summary>
    /// A pool whose first network is made now, to prove this machine can: null, with the reason,
    /// when it cannot (no <c>ip</c> or <c>nft</c>, or a kernel without nftables NAT), in which case
    /// VMs have their own loopback only.
    /// </summary>
    public static async Task<(GatewayPool? Pool, string? Reason)> StartAsync(SandboxLauncher launcher, ILogger logger)
    {
        if (launcher.GatewayPrerequisitesMissing() is { } missing)
        {
            return (null, missing);
        }

        var pool = new GatewayPool(launcher.CreateGatewayStartInfo, logger);
        try
        {
            Process first = await pool.MakeAsync();
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

    /// <summary>A gateway relay in a network namespace of its own, ready for its VM.</summary>
    public async Task<Process> TakeAsync()
    {
        Task<Process> next;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            next = _ready.TryDequeue(out Task<Process>? made) ? made : MakeAsync();
        }

        Refill();
        return await next;
    }

    public async ValueTask DisposeAsync()
    {
        Task<Process>[] left;
        lock (_gate)
        {
            _disposed = true;
            left = [.. _ready];
            _ready.Clear();
        }

        foreach (Task<Process> made in left)
        {
            try
            {
                RelayProcess.Stop(await made);
            }
            catch (IOException)
            {
                // It never started: nothing to stop.
            }
        }
    }

    private void Refill()
    {
        lock (_gate)
        {
            while (!_disposed && _ready.Count < Size)
            {
                Task<Process> making = MakeAsync();
                _ready.Enqueue(making);
                _ = making.ContinueWith(
                    failed => _logger.LogWarning(failed.Exception!.GetBaseException(), "A VM network could not be made ahead of need"),
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
    }

    private Task<Process> MakeAsync() =>
        RelayProcess.StartAsync(_startInfo(), error => new IOException($"a VM network could not be made: {error}"));
}
