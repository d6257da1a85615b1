using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Arker.Testing.Local.Network;

/// <summary>
/// One VM's port links, each by its guest port: guest ports exposed to this machine
/// (<see cref="ExposedPort"/>) and host ports offered to the VM (<see cref="HostPortForward"/>).
/// Links open one at a time; asking again for a guest port answers the link it has; all close
/// with the VM.
/// </summary>
internal sealed class VmPortLinks(INetworkSetup setup)
{
    private readonly Dictionary<int, ExposedPort> _exposed = [];
    private readonly Dictionary<int, HostPortForward> _forwards = [];
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly Lock _gate = new();
    private bool _closed;

    public IReadOnlyList<ExposedPort> Exposed => Snapshot(_exposed);

    public IReadOnlyList<HostPortForward> Forwards => Snapshot(_forwards);

    /// <summary>Exposes <paramref name="guestPort"/> of the VM's <paramref name="network"/> to this machine.</summary>
    public Task<ExposedPort> ExposeAsync(SafeHandle network, int guestPort, CancellationToken cancellationToken) =>
        LinkAsync(_exposed, guestPort, known => known,
            () => Task.FromResult(new ExposedPort(guestPort, async () => await OpenInVmAsync(network, new VmSocket(VmSocketKind.Stream)))), cancellationToken);

    /// <summary>Offers this machine's <paramref name="hostPort"/> at the VM's <paramref name="guestPort"/>; a guest port leads to one host port only.</summary>
    public Task<HostPortForward> ForwardAsync(SafeHandle network, int hostPort, int guestPort, CancellationToken cancellationToken) =>
        LinkAsync(_forwards, guestPort,
            known => known.HostPort == hostPort
                ? known
                : throw LocalArkerException.Conflict($"the VM's port {guestPort} already leads to host port {known.HostPort}: close that forward first, or choose another guest port", "port"),
            () => HostPortForward.OpenAsync(hostPort, guestPort, socket => OpenInVmAsync(network, socket)),
            cancellationToken);

    /// <summary>Closes the exposed <paramref name="guestPort"/>; false if it was not exposed.</summary>
    public Task<bool> CloseExposedAsync(int guestPort) => CloseAsync(_exposed, guestPort);

    /// <summary>Closes the forward at the VM's <paramref name="guestPort"/>; false if there was none.</summary>
    public Task<bool> CloseForwardAsync(int guestPort) => CloseAsync(_forwards, guestPort);

    /// <summary>Closes every link for good (the VM is being deleted).</summary>
    public async Task CloseAllAsync()
    {
        List<IAsyncDisposable> links;
        lock (_gate)
        {
            _closed = true;
            links = [.. _exposed.Values, .. _forwards.Values];
            _exposed.Clear();
            _forwards.Clear();
        }

        foreach (IAsyncDisposable link in links)
        {
            await link.DisposeAsync();
        }
    }

    /// <summary>A socket made inside the VM's <paramref name="network"/> namespace.</summary>
    private async Task<Socket> OpenInVmAsync(SafeHandle network, VmSocket socket) =>
        (await setup.OpenSocketsAsync(network, [socket]))[0];

    private async Task<T> LinkAsync<T>(Dictionary<int, T> links, int guestPort, Func<T, T> reuse, Func<Task<T>> open, CancellationToken cancellationToken)
        where T : class, IAsyncDisposable
    {
        await _opening.WaitAsync(cancellationToken);
        try
        {
            lock (_gate)
            {
                ThrowIfClosed();
                if (links.TryGetValue(guestPort, out T? known))
                {
                    return reuse(known);
                }
            }

            T link = await open();
            lock (_gate)
            {
                if (!_closed)
                {
                    links[guestPort] = link;
                    return link;
                }
            }

            await link.DisposeAsync(); // the VM was deleted while the link opened
            throw Deleted();
        }
        finally
        {
            _opening.Release();
        }
    }

    private async Task<bool> CloseAsync<T>(Dictionary<int, T> links, int guestPort)
        where T : class, IAsyncDisposable
    {
        T? link;
        lock (_gate)
        {
            if (!links.Remove(guestPort, out link))
            {
                return false;
            }
        }

        await link.DisposeAsync();
        return true;
    }

    private IReadOnlyList<T> Snapshot<T>(Dictionary<int, T> links)
    {
        lock (_gate)
        {
            return [.. links.OrderBy(l => l.Key).Select(l => l.Value)];
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw Deleted();
        }
    }

    private static LocalArkerException Deleted() => LocalArkerException.NotFound("VM not found: it was deleted");
}
