using System.Runtime.InteropServices;

namespace Arker.Testing.Platform;

/// <summary>
/// In the process that starts the test host, when <c>dotnet test</c> started it: cancels the test
/// host's session, as a terminal's Ctrl-C would (SIGINT), once <c>dotnet test</c> is gone.
/// </summary>
/// <remarks>
/// A Ctrl-C sent to <c>dotnet test</c> alone (a CI runner's cancel, an IDE's stop, <c>kill -INT</c>)
/// ends it in a moment, but nothing tells the test application: its tests went on running, a new
/// one started, and nobody was left to read their results. Whether <c>dotnet test</c> is still
/// there is read from this process's parent (it changes when the parent exits); the test host is
/// signalled through a pidfd opened as it started, never by a process id that may have been reused.
/// </remarks>
internal sealed class DotnetTestWatch : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private const int SigInt = 2;
    private const long PidfdOpenCall = 434; // the same number on every architecture (added after the tables were unified)
    private const long PidfdSendSignalCall = 424;

    private readonly int _testHost;
    private readonly int _parent;
    private readonly CancellationTokenSource _stop = new();

    private DotnetTestWatch(int testHostPidfd, int parent)
    {
        _testHost = testHostPidfd;
        _parent = parent;
        _ = WatchAsync();
    }

    /// <summary>Whether this test application was started by <c>dotnet test</c> (which talks to it over a pipe).</summary>
    public static bool StartedByDotnetTest => Environment.GetCommandLineArgs().Contains("--dotnet-test-pipe", StringComparer.Ordinal);

    /// <summary>Starts watching for the test host <paramref name="testHostProcessId"/>, which has just started; null where pidfds are missing (Linux before 5.3).</summary>
    public static DotnetTestWatch? Start(int testHostProcessId)
    {
        int parent = getppid();
        int pidfd = (int)syscall(PidfdOpenCall, testHostProcessId, 0);
        return pidfd < 0 ? null : new DotnetTestWatch(pidfd, parent);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task WatchAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(Interval);
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (getppid() != _parent)
                {
                    _ = syscall(PidfdSendSignalCall, _testHost, SigInt, 0, 0); // the host cancels its session; a host that has ended ignores it (ESRCH)
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The test host ended first.
        }
        finally
        {
            _ = close(_testHost);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getppid();

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, long arg1, long arg2);

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, long arg1, long arg2, long arg3, long arg4);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int descriptor);
}
