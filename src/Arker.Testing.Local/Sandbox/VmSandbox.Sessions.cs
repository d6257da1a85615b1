using System.Text;
using Arker.Testing.Local.Sessions;

namespace Arker.Testing.Local.Sandbox;

/// <summary>A VM's sessions and runs: one command at a time per session, each in the session's own shell, started on first use.</summary>
internal sealed partial class VmSandbox
{
    /// <summary>The VM's sessions by id, in index order (the default session, <c>0</c>, once it has run).</summary>
    public IReadOnlyList<KeyValuePair<string, SessionSlot>> Sessions
    {
        get
        {
            lock (_gate)
            {
                return _sessions.InIndexOrder();
            }
        }
    }

    /// <summary>Adds a session that starts in <paramref name="cwd"/> with <paramref name="environment"/> exported; its index is the next free one.</summary>
    public SessionSlot CreateSession(string id, string cwd, IReadOnlyDictionary<string, string>? environment)
    {
        lock (_gate)
        {
            ThrowIfDestroyed();
            return _sessions.Create(id, cwd, environment);
        }
    }

    /// <inheritdoc cref="SessionTable.IdAt"/>
    public string SessionIdAt(int index)
    {
        lock (_gate)
        {
            return _sessions.IdAt(index);
        }
    }

    /// <inheritdoc cref="SessionTable.Contains"/>
    public bool HasSession(string id)
    {
        lock (_gate)
        {
            ThrowIfDestroyed();
            return _sessions.Contains(id);
        }
    }

    /// <summary>Ends the session's shell (and a command it is running) and forgets the session.</summary>
    public async Task DeleteSessionAsync(string id)
    {
        SessionSlot? slot;
        lock (_gate)
        {
            ThrowIfDestroyed();
            slot = _sessions.Remove(id);
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
            slot = _sessions.GetOrAdd(sessionId);
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

    private async Task<ShellSession> StartShellAsync(SessionSlot slot)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        ShellSession shell = await _network.StartAsync(network =>
            ShellSession.StartAsync(_factory.Launcher, _disk.MergedRoot, HostReadOnlyFolders, _cgroup.ProcsFiles, OutputCap, slot.Cwd, slot.Exports, network, RootInside),
            started => started.NamespaceInit);
        slot.Shell = shell;
        _factory.Logger.LogDebug("Started a shell in {Duration:0.00} ms", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return shell;
    }
}
