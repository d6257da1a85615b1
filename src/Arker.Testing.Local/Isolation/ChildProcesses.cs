using System.Collections.Concurrent;
using System.Diagnostics;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// How the server starts and kills its processes. Three rules, each kept here once: long-lived
/// children start from one thread that lives as long as this process, each in a session of its
/// own, and a signal goes to a process through a pidfd (or a cgroup), never to a bare process id
/// that may have been reused.
/// </summary>
/// <remarks>
/// Linux sends a child its parent-death signal (<c>PR_SET_PDEATHSIG</c>, which bubblewrap's
/// <c>--die-with-parent</c> sets) when the <em>thread</em> that forked it exits, not when the
/// process does. Started from a thread-pool thread, a sandbox was killed (SIGKILL, exit 137)
/// whenever the pool retired that thread: after 20 s of idleness, typically once a burst of work
/// elsewhere (other VMs' network clean-up) had grown the pool. Started from the starter thread, a
/// child dies with the server process and at no other time.
/// <para>
/// A terminal's Ctrl-C sends SIGINT to its whole foreground process group: to <c>dotnet test</c>,
/// the test host (which cancels its tests and then stops this server) and, unless they are in a
/// session of their own, to the server's children — sandboxes, network set-ups, the rootless
/// namespace helper — which would die before the server could stop them in order. So each child
/// starts through <c>setsid</c> (util-linux), which makes the session and then runs it in place,
/// unless it makes its session itself (the server's start-up scripts, <c>sandbox-start.pl</c> and
/// <c>vm-init.pl</c>, which save a sandbox that program's start).
/// </para>
/// </remarks>
internal static class ChildProcesses
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Requests = new();

    static ChildProcesses()
    {
        var thread = new Thread(Serve) { IsBackground = true, Name = "Arker child process starter" };
        thread.Start();
    }

    private static readonly string? Setsid = SandboxPrerequisites.FindExecutable("setsid");

    /// <summary><paramref name="program"/> with its stdio piped to the server, in <c>/</c>.</summary>
    public static ProcessStartInfo Piped(string program) => new(program)
    {
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
        WorkingDirectory = "/",
    };

    /// <summary>
    /// How the server starts its sandboxes' programs: <see cref="Piped"/>, with an environment of only
    /// the system's <c>PATH</c>.
    /// </summary>
    public static ProcessStartInfo PipedWithCleanEnvironment(string program)
    {
        ProcessStartInfo info = Piped(program);
        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        return info;
    }

    /// <summary>
    /// Starts <paramref name="info"/> from the starter thread, in a session of its own: made by
    /// <c>setsid</c>, or, when <paramref name="makesItsOwnSession"/>, by the program itself.
    /// </summary>
    public static Task<Process> StartAsync(ProcessStartInfo info, bool makesItsOwnSession = false)
    {
        if (Setsid is not null && !makesItsOwnSession)
        {
            info.ArgumentList.Insert(0, info.FileName);
            info.FileName = Setsid; // not a process group leader (a fresh child), so setsid makes the session and execs in place
        }

        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((info, started));
        return started.Task;
    }

    /// <summary>
    /// Ends a child that waits on its stdin (a network set-up, the namespace helper): closes its
    /// stdin, waits up to <paramref name="patience"/>, then kills it; reaps it and disposes it.
    /// </summary>
    public static async Task EndAsync(Process child, TimeSpan patience)
    {
        try
        {
            child.StandardInput.Close();
        }
        catch (IOException)
        {
            // It ended already: nothing to tell it.
        }

        using (var waiting = new CancellationTokenSource(patience))
        {
            try
            {
                await child.WaitForExitAsync(waiting.Token);
            }
            catch (OperationCanceledException)
            {
                Kill(child);
                await child.WaitForExitAsync();
            }
        }

        child.Dispose();
    }

    /// <summary>
    /// SIGKILL to <paramref name="child"/>, a process this one started, if it has not ended. The
    /// pidfd is opened before the exit check: a child not yet reaped at the check still had its id
    /// when the pidfd was opened, so the signal cannot reach a process that took the id later.
    /// </summary>
    public static void Kill(Process child)
    {
        int pidfd = LibC.PidfdOpen(child.Id);
        if (pidfd < 0)
        {
            if (LibC.LastError == LibC.ENoSys && !child.HasExited)
            {
                child.Kill(); // a kernel before 5.3: .NET's own check of its child's state
            }

            return; // ESRCH: reaped already
        }

        try
        {
            if (!child.HasExited)
            {
                _ = LibC.PidfdSendSignal(pidfd, LibC.SigKill);
            }
        }
        finally
        {
            _ = LibC.close(pidfd);
        }
    }

    /// <summary>
    /// SIGKILL to the process <paramref name="pid"/> read from <paramref name="procsFile"/> (a
    /// cgroup's <c>cgroup.procs</c>), if it is still listed there once a pidfd holds it: a process
    /// that ended in between, and whatever took its id outside the cgroup, are left alone.
    /// </summary>
    public static void KillCgroupMember(int pid, string procsFile)
    {
        int pidfd = LibC.PidfdOpen(pid);
        if (pidfd < 0)
        {
            return; // gone; without pidfds (before Linux 5.3) cgroup.kill is missing too, and the caller waits for the cgroup to empty
        }

        try
        {
            if (File.ReadLines(procsFile).Any(line => line == pid.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                _ = LibC.PidfdSendSignal(pidfd, LibC.SigKill);
            }
        }
        catch (IOException)
        {
            // The cgroup is gone, and its processes with it.
        }
        finally
        {
            _ = LibC.close(pidfd);
        }
    }

    private static void Serve()
    {
        foreach ((ProcessStartInfo info, TaskCompletionSource<Process> started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new IOException($"{info.FileName} did not start"));
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception or PlatformNotSupportedException)
            {
                started.SetException(ex);
            }
        }
    }
}
