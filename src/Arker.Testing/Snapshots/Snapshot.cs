using System.Runtime.CompilerServices;
using Arker.Testing.Extensibility;
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
        string? verified = File.Exists(verifiedPath) ? (await File.ReadAllTextAsync(verifiedPath)).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
        if (verified == actual)
        {
            if (File.Exists(receivedPath))
            {
                DiffRunner.Kill(receivedPath, verifiedPath); // a diff tool still open on the old mismatch
                File.Delete(receivedPath);
            }

            return;
        }

        SnapshotBehavior behavior = settings.Behavior
            ?? (IsSet("ARKER_SNAPSHOTS_ACCEPT") ? SnapshotBehavior.Accept : IsSet("CI") ? SnapshotBehavior.FailOnly : SnapshotBehavior.Review);
        if (behavior == SnapshotBehavior.Accept)
        {
            await File.WriteAllTextAsync(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        string diff = UnifiedDiff.Create(verified ?? "", actual, verified is null ? "(no verified snapshot yet)" : Path.GetFileName(verifiedPath), Path.GetFileName(receivedPath));
        string what = verified is null ? $"There is no verified snapshot {Path.GetFileName(verifiedPath)} yet." : $"The snapshot differs from {Path.GetFileName(verifiedPath)}.";
        if (behavior == SnapshotBehavior.FailOnly)
        {
            throw Assertions.AssertionFailures.Create($"{what} On CI nothing is written; the difference:\n{diff}", m => new SnapshotMismatchException(m));
        }

        await File.WriteAllTextAsync(receivedPath, actual);
        ArkerTestFrameworks.CurrentTest?.AddAttachment?.Invoke(receivedPath, "received snapshot: rename to .verified to accept");
        await DiffRunner.LaunchAsync(receivedPath, verifiedPath); // the user's diff tool, unless DiffEngine is off or finds none
        throw Assertions.AssertionFailures.Create(
            $"{what} Wrote {receivedPath}: review it and rename it to .verified.{extension} to accept (or rerun with ARKER_SNAPSHOTS_ACCEPT=1).\n{diff}",
            m => new SnapshotMismatchException(m) { ReceivedFile = receivedPath });
    }

    private static bool IsSet(string variable) =>
        Environment.GetEnvironmentVariable(variable)?.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES";
}
