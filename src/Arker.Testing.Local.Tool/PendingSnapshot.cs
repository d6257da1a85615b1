namespace Arker.Testing.Local.Tool;

/// <summary>
/// A snapshot a test run left for review, in Verify's naming: <c>X.received.txt</c>, beside the
/// <c>X.verified.txt</c> it differs from (or that does not exist yet). Accepting it makes it the
/// verified one (one rename); rejecting it deletes it.
/// </summary>
internal sealed record PendingSnapshot(string Received, string Verified)
{
    private const string ReceivedMarker = ".received.";

    // Build output and version control hold copies, never the sources' snapshots.
    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal) { "bin", "obj", ".git", "node_modules", "TestResults" };

    /// <summary>True when there is no verified snapshot yet: accepting it makes the first.</summary>
    public bool IsNew => !File.Exists(Verified);

    /// <summary>Every pending snapshot below <paramref name="folder"/>, by path.</summary>
    public static IReadOnlyList<PendingSnapshot> FindUnder(string folder)
    {
        var found = new List<PendingSnapshot>();
        var folders = new Stack<string>([folder]);
        while (folders.TryPop(out string? current))
        {
            foreach (string file in Directory.EnumerateFiles(current, "*" + ReceivedMarker + "*"))
            {
                found.Add(For(file));
            }

            foreach (string child in Directory.EnumerateDirectories(current))
            {
                if (!SkippedFolders.Contains(Path.GetFileName(child)) && !new DirectoryInfo(child).Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    folders.Push(child);
                }
            }
        }

        return [.. found.OrderBy(snapshot => snapshot.Received, StringComparer.Ordinal)];
    }

    /// <summary>The pending snapshot of <paramref name="received"/>: its verified file is the same name with <c>.verified.</c>.</summary>
    public static PendingSnapshot For(string received)
    {
        string name = Path.GetFileName(received);
        int marker = name.LastIndexOf(ReceivedMarker, StringComparison.Ordinal);
        string verifiedName = name[..marker] + ".verified." + name[(marker + ReceivedMarker.Length)..];
        return new PendingSnapshot(received, Path.Combine(Path.GetDirectoryName(received)!, verifiedName));
    }

    /// <summary>Makes the received snapshot the verified one.</summary>
    public void Accept() => File.Move(Received, Verified, overwrite: true);

    /// <summary>Deletes the received snapshot; the verified one stays.</summary>
    public void Reject() => File.Delete(Received);
}
