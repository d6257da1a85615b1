using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Arker.Testing.Client;

/// <summary>
/// What a test's VM did and which of its files to show if the test fails: each command (session,
/// exit code, duration, the tails of its output, or the error that stopped it), in order, and the
/// paths asked for with <see cref="Computer.AttachOnFailure"/>. Kept for the VMs a test leases.
/// </summary>
internal sealed class VmEvidence
{
    /// <summary>The most commands kept: a test that loops over thousands keeps its last ones.</summary>
    internal const int MaxCommands = 200;

    private readonly ConcurrentQueue<CommandRecord> _commands = new();
    private ImmutableArray<string> _files;
    private int _dropped;

    public VmEvidence(IEnumerable<string> files, TimeProvider clock)
    {
        _files = [.. files];
        Clock = clock;
        Started = clock.GetTimestamp();
    }

    public TimeProvider Clock { get; }

    /// <summary>The clock's timestamp when the test's VM was handed over.</summary>
    public long Started { get; }

    /// <summary>The commands kept, oldest first.</summary>
    public IReadOnlyCollection<CommandRecord> Commands => _commands;

    /// <summary>How many earlier commands were left out to keep the last <see cref="MaxCommands"/>.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>The VM paths to read and attach, in the order asked, without repeats.</summary>
    public ImmutableArray<string> Files => _files;

    public void AddFile(string path) => ImmutableInterlocked.Update(ref _files, all => all.Contains(path, StringComparer.Ordinal) ? all : all.Add(path));

    public void Add(CommandRecord command)
    {
        _commands.Enqueue(command);
        while (_commands.Count > MaxCommands && _commands.TryDequeue(out _))
        {
            Interlocked.Increment(ref _dropped);
        }
    }
}

/// <summary>
/// One command a test ran in its VM: its exit code and the tails of its output, or the error that
/// stopped it. Only the tails are kept, so a VM's evidence stays small whatever its commands print.
/// </summary>
internal sealed record CommandRecord(string Command, string Session, TimeSpan StartedAfter, TimeSpan Duration, int? ExitCode, OutputTail Stdout, OutputTail Stderr, string? Error)
{
    /// <summary>Lines of each stream kept per command, and at most this many characters of them.</summary>
    internal const int TailLines = 20;

    internal const int TailCharacters = 4000;

    public static CommandRecord Completed(RunResult result, TimeSpan startedAfter) =>
        new(result.Command, result.SessionId, startedAfter, result.Duration, result.ExitCode, Tail(result.StdoutText), Tail(result.StderrText), null);

    public static CommandRecord Failed(string command, string session, TimeSpan startedAfter, TimeSpan duration, Exception error) =>
        new(command, session, startedAfter, duration, null, default, default, $"{error.GetType().Name}: {error.Message}");

    private static OutputTail Tail(string output) => OutputTail.Of(output, TailLines, TailCharacters);
}
