using Arker.Testing.Local.Native;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Network;

/// <summary>
/// One VM's network namespace, shared by all its sessions, so a service one session starts is
/// reachable on the VM's loopback from another, as on one machine. Where this machine can route
/// a VM's traffic, the namespace comes ready from the server's <see cref="GatewayPool"/> with its
/// <see cref="OutboundGateway"/>, which lets the VM out as its policy allows; elsewhere the VM's
/// first sandbox makes it, with a loopback only. The server keeps it by an open descriptor, and
/// sandboxes join it through <c>nsenter</c>. Disposing lets it go. With the host's network shared
/// (<c>--share-network</c>) there is none.
/// </summary>
internal sealed class VmNetwork : IAsyncDisposable
{
    private readonly bool _enabled;
    private readonly Func<Task<OutboundGateway>>? _makeGateway;
    private readonly SemaphoreSlim _first = new(1, 1);
    private SafeFileHandle? _namespace;
    private OutboundGateway? _gateway;

    /// <param name="enabled">Whether the VM has a network of its own (not the host's).</param>
    /// <param name="makeGateway">Gives the VM a ready network with its gateway; null where this machine cannot.</param>
    public VmNetwork(bool enabled, Func<Task<OutboundGateway>>? makeGateway)
    {
        _enabled = enabled;
        _makeGateway = enabled ? makeGateway : null;
    }

    /// <summary>The VM's network namespace, held open, or null before there is one.</summary>
    public SafeFileHandle? Namespace => _gateway?.Network.Namespace ?? (_namespace is { IsInvalid: false } held ? held : null);

    /// <summary>Where a new sandbox finds the VM's network namespace (this process's descriptor of it), or null before there is one.</summary>
    public string? JoinPath => Namespace is { } held ? ProcessDescriptors.PathOf(held) : null;

    /// <summary>Makes the VM's network now if it has a gateway; false if only a sandbox can make it.</summary>
    public async Task<bool> PrepareAsync()
    {
        if (_makeGateway is null)
        {
            return JoinPath is not null;
        }

        await _first.WaitAsync();
        try
        {
            if (JoinPath is null)
            {
                await MakeWithGatewayAsync(_makeGateway);
            }

            return true;
        }
        finally
        {
            _first.Release();
        }
    }

    /// <summary>
    /// Starts a sandbox (<paramref name="start"/> gets the namespace to join, or null to make one;
    /// <paramref name="namespaceHolder"/> names the started sandbox's process that holds a namespace
    /// it made). Sandboxes of a VM that has none yet start one at a time, so they all end up in the
    /// first one's.
    /// </summary>
    public async Task<T> StartAsync<T>(Func<string?, Task<T>> start, Func<T, int> namespaceHolder)
    {
        if (!_enabled)
        {
            return await start(null);
        }

        if (JoinPath is { } known)
        {
            return await start(known);
        }

        await _first.WaitAsync();
        try
        {
            if (JoinPath is null && _makeGateway is not null)
            {
                await MakeWithGatewayAsync(_makeGateway);
            }

            if (JoinPath is { } made)
            {
                return await start(made);
            }

            T sandbox = await start(null);
            Adopt(namespaceHolder(sandbox));
            return sandbox;
        }
        finally
        {
            _first.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _namespace?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        _first.Dispose();
    }

    private async Task MakeWithGatewayAsync(Func<Task<OutboundGateway>> makeGateway) => _gateway = await makeGateway();

    /// <summary>Holds the network namespace the VM's first sandbox made (its PID namespace's init, <paramref name="holder"/>, is in it).</summary>
    private void Adopt(int holder)
    {
        int fd = holder > 0 ? LibC.openat(LibC.AtFdCwd, $"/proc/{holder}/ns/net", LibC.ORdOnly | LibC.OCloexec, 0) : -1;
        _namespace = fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null; // not found: the next sandbox makes one
    }
}
