using System.Runtime.CompilerServices;
using Arker.Testing.Extensibility;
using Arker.Testing.Settings;
using DiffEngine;

namespace Arker.Testing.Snapshots;

/// <summary>
/// Snapshot testing in Verify's style. The text is scrubbed and compared with
/// <c>{Class}.{Method}.verified.txt</c> beside the test's source file. On a mismatch (or the first
/// time) <c>.received.txt</c> is written beside it and the check fails with a unified diff; accept by
/// renaming it, or run with <c>ARKER_SNAPSHOTS_ACCEPT=1</c>. Off CI, the user's diff tool opens on the
/// two files (DiffEngine; <c>DiffEngine_Disabled=true</c> or <c>DiffRunner.Disabled</c> turns it off).
/// On CI (<c>CI=true</c>) nothing is written: the failure message carries the diff.
/// </summary>
public static class Snapshot
{
    /// <summary>
    /// Compares <paramref name="text"/>, scrubbed, with the verified snapshot of the calling test:
    /// named after the running test's class, method and arguments when an adapter runs it, else
    /// after the source file and the calling member.
    /// </summary>
    public static Task VerifyAsync(string text, SnapshotSettings? settings = null, string extension = "txt", [CallerFilePath] string sourceFile = "", [CallerMemberName] string member = "")
    {
        ArgumentNullException.ThrowIfNull(text);
        SnapshotIdentity identity = SnapshotIdentity.Of(ArkerTestFrameworks.CurrentTest, sourceFile, member);
        return VerifyAsync(text, identity, settings ?? new SnapshotSettings(), extension);
    }

    /// <summary>Compares <paramref name="text"/>, scrubbed, with the verified snapshot of <paramref name="identity"/>.</summary>
    public static async Task VerifyAsync(string text, SnapshotIdentity identity, SnapshotSettings settings, string extension = "txt")
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(settings);
        string actual = Scrubber.Scrub(text, settings);
        if (!actual.EndsWith('\n'))
        {
            actual += "\n";
        }

        string verifiedPath = Path.Combine(identity.Directory, $"{identity.BaseName}.verified.{extension}");
        string receivedPath = Path.Combine(identity.Directory, $"{identity.BaseName}.received.{extension}");
        string? verified = await ReadAsync(verifiedPath);
        SnapshotBehavior behavior = settings.Behavior
            ?? (SettingValues.Flag(ArkerEnvironmentVariables.SnapshotsAccept, Environment.GetEnvironmentVariable(ArkerEnvironmentVariables.SnapshotsAccept)) ? SnapshotBehavior.Accept
                : SettingValues.LenientFlag(Environment.GetEnvironmentVariable("CI")) ? SnapshotBehavior.FailOnly
                : SnapshotBehavior.Review);
        if (verified == actual || behavior == SnapshotBehavior.Accept)
        {
            if (verified != actual)
            {
                await WriteWholeAsync(verifiedPath, actual);
            }

            await SettleReceivedAsync(receivedPath, verifiedPath, actual, accepting: behavior == SnapshotBehavior.Accept);
            return;
        }

        string diff = UnifiedDiff.Create(verified ?? "", actual, verified is null ? "(no verified snapshot yet)" : Path.GetFileName(verifiedPath), Path.GetFileName(receivedPath));
        string what = verified is null ? $"There is no verified snapshot {Path.GetFileName(verifiedPath)} yet." : $"The snapshot differs from {Path.GetFileName(verifiedPath)}.";
        if (behavior == SnapshotBehavior.FailOnly)
        {
            throw Assertions.AssertionFailures.Create($"{what} On CI nothing is written; the difference:\n{diff}", m => new SnapshotMismatchException(m));
        }

        await WriteWholeAsync(receivedPath, actual);
        ArkerTestFrameworks.CurrentTest?.AddAttachment?.Invoke(receivedPath, "received snapshot: rename to .verified to accept");
        await DiffRunner.LaunchAsync(receivedPath, verifiedPath); // the user's diff tool, unless DiffEngine is off or finds none
        throw Assertions.AssertionFailures.Create(
            $"{what} Wrote {receivedPath}: review it and rename it to .verified.{extension} to accept (or rerun with ARKER_SNAPSHOTS_ACCEPT=1; review all pending ones with: arker-local snapshots review).\n{diff}",
            m => new SnapshotMismatchException(m) { ReceivedFile = receivedPath });
    }

    /// <summary>
    /// A received file is removed only once it has become the verified one. One that differs holds
    /// a change of an earlier run still waiting for review: it stays, and the test's output says
    /// so; accepting snapshots (<c>ARKER_SNAPSHOTS_ACCEPT=1</c>) then fails, since what the user
    /// meant to accept is not what this run produced.
    /// </summary>
    private static async Task SettleReceivedAsync(string receivedPath, string verifiedPath, string verified, bool accepting)
    {
        if (await ReadAsync(receivedPath) is not { } received)
        {
            return;
        }

        if (received == verified)
        {
            DiffRunner.Kill(receivedPath, verifiedPath); // a diff tool still open on the old mismatch
            File.Delete(receivedPath);
            return;
        }

        string kept = $"Kept {receivedPath}: it differs from {Path.GetFileName(verifiedPath)}, which this run produced, so it holds a change of an earlier run still waiting for review. Rename it to {Path.GetFileName(verifiedPath)} to accept that change, or delete it.";
        if (accepting)
        {
            throw Assertions.AssertionFailures.Create(
                $"ARKER_SNAPSHOTS_ACCEPT: this run produced {Path.GetFileName(verifiedPath)} as it is, not the pending change. {kept}",
                m => new SnapshotMismatchException(m) { ReceivedFile = receivedPath });
        }

        ArkerTestFrameworks.CurrentTest?.WriteOutput(kept);
    }

    /// <summary>A snapshot file's text with Unix line ends, or null when there is none.</summary>
    private static async Task<string?> ReadAsync(string path) =>
        File.Exists(path) ? (await File.ReadAllTextAsync(path)).Replace("\r\n", "\n", StringComparison.Ordinal) : null;

    /// <summary>Writes a snapshot file whole or not at all: into a file beside it, then renamed over it.</summary>
    private static async Task WriteWholeAsync(string path, string text)
    {
        string partial = $"{path}.{Environment.ProcessId}.partial";
        try
        {
            await File.WriteAllTextAsync(partial, text);
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }
}
