using Arker.Testing.Local.Limits;
using Arker.Testing.Local.Network;
using Arker.Testing.Local.Sessions;
using Arker.Testing.Local.Storage;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// The running side of one VM: its filesystem, cgroup and sessions, and the locking that keeps
/// runs, file operations, forks and deletion from stepping on each other. Its sessions and runs
/// are in <c>VmSandbox.Sessions.cs</c>, its policy and port links in <c>VmSandbox.Network.cs</c>.
/// </summary>
internal sealed partial class VmSandbox
{
    /// <summary>The session a run uses when it names none.</summary>
    public const string DefaultSession = SessionTable.DefaultSession;

    private const int OutputCap = 16 * 1024 * 1024;

    private readonly SandboxFactory _factory;
    private readonly VmDisk _disk;
    private readonly VmCgroup _cgroup;
    private readonly SharedExclusiveLock _structure = new();
    private readonly SessionTable _sessions;
    private readonly Lock _gate = new();
    private readonly StackFlattening _flattening;
    private readonly VmNetwork _network;
    private int _runsInFlight;
    private bool _destroyed;

    public VmSandbox(SandboxFactory factory, VmDisk disk, VmCgroup cgroup, IEnumerable<KeyValuePair<string, SessionSlot>> sessions, LayerMerge? inheritedMerge, IReadOnlyList<string> hostReadOnlyFolders, bool rootInside)
    {
        _factory = factory;
        RootInside = rootInside;
        HostReadOnlyFolders = hostReadOnlyFolders;
        _disk = disk;
        _cgroup = cgroup;
        _flattening = new StackFlattening(factory.Merger, inheritedMerge is not null && inheritedMerge.Covers(disk.Lowers) ? inheritedMerge : null);
        _network = factory.Networking.CreateNetwork(() => Policy);
        PortLinks = factory.Networking.CreatePortLinks();
        _sessions = new SessionTable(sessions);
    }

    /// <summary>Folders of this machine the VM sees read-only at the same place (<c>/usr</c> of a VM over the host's userland; none for an image's).</summary>
    public IReadOnlyList<string> HostReadOnlyFolders { get; }

    /// <summary>Whether the VM has root inside (sudo, every id 0–65535 its own; see <see cref="Isolation.SandboxIdentity.VmIdRangeStart"/>); a fork has what its parent has.</summary>
    public bool RootInside { get; }

    /// <summary>The system calls of the file API in this VM (see <see cref="Native.FileCalls"/>).</summary>
    public Native.FileCalls FileCalls => _factory.FileCalls;

    /// <summary>The VM's read-only layers, bottom last; a fork's show its parent as it was.</summary>
    public IReadOnlyList<Layer> Lowers => _disk.Lowers;

    /// <summary>The VM's network policy, read by its gateway at each connection and lookup; a fork starts with its parent's.</summary>
    public NetworkPolicy Policy { get; set; } = NetworkPolicy.None;

    /// <summary>Whether a command is running in any session.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _runsInFlight > 0;
            }
        }
    }

    /// <summary>
    /// Makes a child sandbox that sees this VM's files as they are now. If this VM has written
    /// anything since its last freeze, its processes are stopped (state saved) and its upper is
    /// frozen into a shared layer; otherwise the child simply shares the same layers.
    /// </summary>
    public async Task<VmSandbox> ForkAsync(string childName)
    {
        using (await _structure.ExclusiveAsync())
        {
            List<KeyValuePair<string, SessionSlot>> slots;
            lock (_gate)
            {
                ThrowIfDestroyed();
                if (_runsInFlight > 0)
                {
                    throw LocalArkerException.VmBusy("this VM has a command running; fork it when the command has finished");
                }

                slots = _sessions.Snapshot();
            }

            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            bool changed = !_disk.IsUnchanged();
            foreach ((_, SessionSlot slot) in slots)
            {
                await slot.SaveStateAsync();
            }

            if (changed)
            {
                // Nothing may write to the upper once it is frozen: every process of the VM goes. The
                // cgroup kills them all at once; without one (rootless, or a host with no writable
                // cgroups) each session's sandbox is killed and waited for, which takes its whole
                // PID namespace with it, before the freeze.
                await _cgroup.KillAllAsync();
                foreach ((_, SessionSlot slot) in slots)
                {
                    if (slot.DetachShell() is not { } dead)
                    {
                        continue;
                    }

                    if (_cgroup.KillsEverything)
                    {
                        _factory.Cleanup.Run(dead.KillAndWaitAsync);
                    }
                    else
                    {
                        await dead.KillAndWaitAsync();
                    }
                }
            }

            TimeSpan stopping = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            IReadOnlyList<Layer> lowers = changed ? _disk.Freeze(_factory.Cleanup) : _disk.Lowers;
            TimeSpan freezing = System.Diagnostics.Stopwatch.GetElapsedTime(started) - stopping;
            lowers = await _flattening.ShortenAsync(lowers);
            if (changed && lowers != _disk.Lowers)
            {
                // The parent is stopped anyway: it moves onto the merged layer too.
                _disk.ReplaceLowers(lowers);
                _flattening.Forget();
            }

            var childSessions = slots.Select(s => KeyValuePair.Create(s.Key, new SessionSlot(s.Value.Index, s.Value.Cwd, s.Value.Exports, s.Value.Environment)));
            VmSandbox child = _factory.Create(childName, lowers, childSessions, _flattening.Pending, HostReadOnlyFolders, RootInside);
            child.Policy = Policy;
            _factory.Logger.LogDebug(
                "Forked {Child} over {Depth} layers in {Total:0.00} ms (stopping sessions {Stopping:0.00} ms, freezing {Freezing:0.00} ms)",
                childName, lowers.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, stopping.TotalMilliseconds, freezing.TotalMilliseconds);
            return child;
        }
    }

    /// <summary>Runs a file operation against the VM's root while no fork or delete can change it.</summary>
    public async Task<T> WithRootAsync<T>(Func<string, Task<T>> operation, CancellationToken cancellationToken)
    {
        using (await _structure.SharedAsync(cancellationToken))
        {
            lock (_gate)
            {
                ThrowIfDestroyed();
            }

            return await operation(_disk.MergedRootView);
        }
    }

    /// <summary>Kills every process of the VM, unmounts it and removes its directories.</summary>
    public async Task DestroyAsync()
    {
        List<SessionSlot> slots;
        lock (_gate)
        {
            if (_destroyed)
            {
                return;
            }

            _destroyed = true;
            slots = [.. _sessions.Snapshot().Select(session => session.Value)];
        }

        foreach (SessionSlot slot in slots)
        {
            slot.Shell?.Kill();
        }

        await _cgroup.DestroyAsync();
        using (await _structure.ExclusiveAsync())
        {
            foreach (SessionSlot slot in slots)
            {
                if (slot.Shell is { } shell)
                {
                    await shell.KillAndWaitAsync();
                }
            }

            _flattening.Forget();
            await PortLinks.CloseAllAsync();

            await _network.DisposeAsync();

            _disk.Destroy(_factory.Cleanup);
        }
    }

    private void ThrowIfDestroyed()
    {
        if (_destroyed)
        {
            throw LocalArkerException.NotFound("VM not found: it was deleted");
        }
    }
}
