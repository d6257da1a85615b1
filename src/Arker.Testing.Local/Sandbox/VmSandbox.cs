using System.Text;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// The running side of one VM: its filesystem, cgroup and sessions, and the locking that keeps
/// runs, file operations, forks and deletion from stepping on each other.
/// </summary>
internal sealed class VmSandbox
{
    /// <summary>The session a run uses when it names none.</summary>
    public const string DefaultSession = "0";

    private const int OutputCap = 16 * 1024 * 1024;

    private readonly SandboxHost _host;
    private readonly VmDisk _disk;
    private readonly VmCgroup _cgroup;
    private readonly SharedExclusiveLock _structure = new();
    private readonly Dictionary<string, SessionSlot> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly StackFlattening _flattening;
    private readonly VmNetwork _network;
    private int _runsInFlight;
    private bool _destroyed;

    public VmSandbox(SandboxHost host, VmDisk disk, VmCgroup cgroup, IEnumerable<KeyValuePair<string, SessionSlot>> sessions, LayerMerge? inheritedMerge)
    {
        _host = host;
        _disk = disk;
        _cgroup = cgroup;
        _flattening = new StackFlattening(host, inheritedMerge is not null && inheritedMerge.Covers(disk.Lowers) ? inheritedMerge : null);
        _network = new VmNetwork(enabled: !host.SharesHostNetwork, host.Gateways is null ? null : () => host.AttachGatewayAsync(() => Policy));
        PortLinks = new VmPortLinks(host);
        foreach ((string id, SessionSlot slot) in sessions)
        {
            _sessions[id] = slot;
        }
    }

    public int LayerDepth => _disk.Lowers.Count;

    /// <summary>The VM's read-only layers, bottom last; a fork's show its parent as it was.</summary>
    public IReadOnlyList<Layer> Lowers => _disk.Lowers;

    /// <summary>The VM's network policy, read by its gateway at each connection and lookup; a fork starts with its parent's.</summary>
    public Network.NetworkPolicy Policy { get; set; } = Network.NetworkPolicy.None;

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

    /// <summary>The VM's sessions by id, in index order (the default session, <c>0</c>, once it has run).</summary>
    public IReadOnlyList<KeyValuePair<string, SessionSlot>> Sessions
    {
        get
        {
            lock (_gate)
            {
                return [.. _sessions.OrderBy(s => s.Value.Index)];
            }
        }
    }

    /// <summary>Adds a session that starts in <paramref name="cwd"/> with <paramref name="environment"/> exported; its index is the next free one.</summary>
    public SessionSlot CreateSession(string id, string cwd, IReadOnlyDictionary<string, string>? environment)
    {
        string? exports = environment is null ? null : string.Concat(environment.Select(e => $"export {e.Key}={ShellSession.Quote(e.Value)}\n"));
        lock (_gate)
        {
            ThrowIfDestroyed();
            var slot = new SessionSlot(IndexForNewSession(id), cwd, exports, environment);
            return _sessions.TryAdd(id, slot) ? slot : throw LocalArkerException.Conflict($"session {id} already exists", "session");
        }
    }

    /// <summary>The id of the session with <paramref name="index"/>; a number no session has yet names a new one, made on its first run.</summary>
    public string SessionIdAt(int index)
    {
        lock (_gate)
        {
            foreach ((string id, SessionSlot slot) in _sessions)
            {
                if (slot.Index == index)
                {
                    return id;
                }
            }

            return index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The session <paramref name="id"/>: the default session always exists, others once created or run in.</summary>
    public bool HasSession(string id)
    {
        lock (_gate)
        {
            ThrowIfDestroyed();
            return id == DefaultSession || _sessions.ContainsKey(id);
        }
    }

    /// <summary>Ends the session's shell (and a command it is running) and forgets the session.</summary>
    public async Task DeleteSessionAsync(string id)
    {
        SessionSlot? slot;
        lock (_gate)
        {
            ThrowIfDestroyed();
            if (!_sessions.Remove(id, out slot) && id != DefaultSession)
            {
                throw LocalArkerException.NotFound($"session not found: {id}", "session");
            }
        }

        if (slot?.DetachShell() is { } shell)
        {
            await shell.KillAndWaitAsync();
        }
    }

    public async Task<RunOutcome> RunAsync(string sessionId, string command, TimeSpan timeout, CancellationToken aborted)
    {
        SessionSlot slot;
        lock (_gate)
        {
            ThrowIfDestroyed();
            if (!_sessions.TryGetValue(sessionId, out slot!))
            {
                slot = new SessionSlot(IndexForNewSession(sessionId));
                _sessions[sessionId] = slot;
            }
        }

        if (!slot.Busy.Wait(0, CancellationToken.None))
        {
            throw LocalArkerException.VmBusy($"session '{sessionId}' of this VM is already running a command; wait for it, or use another session_id to run concurrently", "session");
        }

        try
        {
            ShellSession shell;
            using (await _structure.SharedAsync(aborted))
            {
                lock (_gate)
                {
                    ThrowIfDestroyed();
                    _runsInFlight++;
                }

                try
                {
                    shell = slot.Shell is { HasExited: false } live ? live : await StartShellAsync(slot);
                }
                catch
                {
                    lock (_gate)
                    {
                        _runsInFlight--;
                    }

                    throw;
                }
            }

            try
            {
                using CancellationTokenRegistration onAbort = aborted.Register(shell.Kill);
                ShellResult result = await shell.RunAsync(command, timeout);
                slot.Cwd = shell.Cwd;
                if (!result.ShellUsable)
                {
                    slot.Shell = null;
                    await shell.KillAndWaitAsync();
                }

                byte[] stderr = result.Stderr;
                if (result.StdoutDropped > 0 || result.StderrDropped > 0)
                {
                    stderr = [.. stderr, .. Encoding.UTF8.GetBytes(
                        $"\n[arker: output truncated at {OutputCap} bytes per stream; {result.StdoutDropped} stdout and {result.StderrDropped} stderr bytes dropped]\n")];
                }

                if (result.TimedOut)
                {
                    stderr = [.. stderr, .. Encoding.UTF8.GetBytes($"\n[arker: command timed out after {timeout.TotalSeconds:0.###} s and was killed]\n")];
                }

                return new RunOutcome(result.Stdout, stderr, result.ExitCode, result.Duration, sessionId, slot.Cwd);
            }
            finally
            {
                lock (_gate)
                {
                    _runsInFlight--;
                }
            }
        }
        finally
        {
            slot.Busy.Release();
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

                slots = [.. _sessions];
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
                        _host.Cleanup.Run(dead.KillAndWaitAsync);
                    }
                    else
                    {
                        await dead.KillAndWaitAsync();
                    }
                }
            }

            TimeSpan stopping = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            IReadOnlyList<Layer> lowers = changed ? _disk.Freeze(_host.Cleanup) : _disk.Lowers;
            TimeSpan freezing = System.Diagnostics.Stopwatch.GetElapsedTime(started) - stopping;
            lowers = await _flattening.ShortenAsync(lowers);
            if (changed && lowers != _disk.Lowers)
            {
                // The parent is stopped anyway: it moves onto the merged layer too.
                _disk.ReplaceLowers(lowers);
                _flattening.Forget();
            }

            var childSessions = slots.Select(s => KeyValuePair.Create(s.Key, new SessionSlot(s.Value.Index, s.Value.Cwd, s.Value.Exports, s.Value.Environment)));
            VmSandbox child = _host.CreateSandbox(childName, lowers, childSessions, _flattening.Pending);
            child.Policy = Policy;
            _host.Logger.LogDebug(
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

    /// <summary>Replaces the VM's network policy; its gateway applies it from the next connection, and exposed ports it no longer allows close.</summary>
    public async Task ApplyPolicyAsync(Network.NetworkPolicy policy)
    {
        Policy = policy;
        foreach (ExposedPort exposed in PortLinks.Exposed.Where(port => !policy.AllowsInbound(port.GuestPort)))
        {
            await PortLinks.CloseExposedAsync(exposed.GuestPort);
        }
    }

    /// <summary>The VM's port links: guest ports exposed to this machine, host ports offered to it.</summary>
    public VmPortLinks PortLinks { get; }

    /// <summary>
    /// Makes the guest's <paramref name="guestPort"/> reachable from this machine (see
    /// <see cref="ExposedPort"/>); the same port again answers the same URL. The VM's network is
    /// made first if no command ran in it yet.
    /// </summary>
    public async Task<ExposedPort> ExposePortAsync(int guestPort, CancellationToken cancellationToken) =>
        Policy.AllowsInbound(guestPort)
            ? await PortLinks.ExposeAsync(await NetworkAsync(cancellationToken), guestPort, cancellationToken)
            : throw LocalArkerException.Forbidden($"the VM's network policy does not expose guest port {guestPort}: add an inbound allow rule for it (PUT /v1/vms/{{id}}/policies)");

    /// <summary>
    /// Offers this machine's <paramref name="hostPort"/> to the VM at its 127.0.0.1:<paramref name="guestPort"/>
    /// (see <see cref="HostPortForward"/>).
    /// </summary>
    public async Task<HostPortForward> ForwardHostPortAsync(int hostPort, int guestPort, CancellationToken cancellationToken) =>
        await PortLinks.ForwardAsync(await NetworkAsync(cancellationToken), hostPort, guestPort, cancellationToken);

    /// <summary>The VM's network namespace, made first (by a no-op in the default session) if no command ran yet.</summary>
    private async Task<Microsoft.Win32.SafeHandles.SafeFileHandle> NetworkAsync(CancellationToken cancellationToken)
    {
        if (_host.SharesHostNetwork)
        {
            throw LocalArkerException.InvalidInput("this server's VMs share the host's network (--share-network): host and guest ports are the same already");
        }

        if (!await _network.PrepareAsync())
        {
            await RunAsync(DefaultSession, "true", TimeSpan.FromSeconds(30), cancellationToken);
        }

        return _network.Namespace ?? throw LocalArkerException.InvalidInput("the VM's network could not be made: run a command in it, then try again");
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
            slots = [.. _sessions.Values];
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
            _disk.Destroy(_host.Cleanup);
        }
    }

    private async Task<ShellSession> StartShellAsync(SessionSlot slot)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        ShellSession shell = await _network.StartAsync(network =>
            ShellSession.StartAsync(_host.Launcher, _disk.MergedRoot, _cgroup.ProcsFiles, OutputCap, slot.Cwd, slot.Exports, network));
        slot.Shell = shell;
        _host.Logger.LogDebug("Started a shell in {Duration:0.00} ms", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return shell;
    }

    /// <summary>A session named by a number has that index; any other takes the next one free.</summary>
    private int IndexForNewSession(string id) =>
        int.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number) && !_sessions.Values.Any(s => s.Index == number)
            ? number
            : _sessions.Values.Select(s => s.Index + 1).Append(1).Max();

    private void ThrowIfDestroyed()
    {
        if (_destroyed)
        {
            throw LocalArkerException.NotFound("VM not found: it was deleted");
        }
    }
}
