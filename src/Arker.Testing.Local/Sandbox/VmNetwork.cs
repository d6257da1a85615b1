using Arker.Testing.Local.Native;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// One VM's network namespace, shared by all its sessions, so a service one session starts is
/// reachable on the VM's loopback from another, as on one machine. The VM's first sandbox makes
/// it (bubblewrap brings its loopback up); the server keeps it by an open descriptor of
/// <c>/proc/&lt;init&gt;/ns/net</c>, so it outlives that session, and later sandboxes join it
/// through <c>nsenter</c>. Closing the descriptor (the VM is deleted) lets it go. With the host's
/// network shared (<c>--share-network</c>) there is none.
/// </summary>
internal sealed class VmNetwork : IDisposable
{
    private readonly bool _enabled;
    private readonly SemaphoreSlim _first = new(1, 1);
    private SafeFileHandle? _namespace;

    public VmNetwork(bool enabled) => _enabled = enabled;

    /// <summary>Where a new sandbox finds the VM's network namespace, or null before there is one.</summary>
    public string? JoinPath => _namespace is { IsInvalid: false } held ? $"/proc/{Environment.ProcessId}/fd/{held.DangerousGetHandle()}" : null;

    /// <summary>
    /// Starts a sandbox (<paramref name="start"/> gets the namespace to join, or null to make one).
    /// Sandboxes of a VM that has none yet start one at a time, so they all end up in the first one's.
    /// </summary>
    public async Task<ShellSession> StartAsync(Func<string?, Task<ShellSession>> start)
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
            if (JoinPath is { } madeMeanwhile)
            {
                return await start(madeMeanwhile);
            }

            ShellSession shell = await start(null);
            Adopt(shell.NamespaceInit);
            return shell;
        }
        finally
        {
            _first.Release();
        }
    }

    public void Dispose()
    {
        _namespace?.Dispose();
        _first.Dispose();
    }

    private void Adopt(int namespaceInit)
    {
        int fd = namespaceInit > 0 ? LibC.openat(LibC.AtFdCwd, $"/proc/{namespaceInit}/ns/net", LibC.ORdOnly | LibC.OCloexec, 0) : -1;
        _namespace = fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : null; // not found: the next sandbox makes one
    }
}
