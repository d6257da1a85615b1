namespace Arker.Testing.TestSupport;

/// <summary>
/// The mounts local servers made: in this process's mount table as root; without root, in the
/// tables of the servers' namespace helpers, the only place they exist.
/// </summary>
public static class ServerMounts
{
    /// <summary>Words of the namespace helper's script, which is on its command line.</summary>
    private const string HelperMarker = "Does for the local Arker server what needs";

    /// <summary>Whether this test process runs its servers rootless (in user namespaces).</summary>
    public static bool Rootless => !Environment.IsPrivilegedProcess;

    /// <summary>The mount points at or below <paramref name="prefix"/>, in every table where a server's mounts live.</summary>
    public static List<string> Under(string prefix) =>
        [.. Tables().SelectMany(Lines).Select(l => l.Split(' ')[4]).Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Distinct()];

    /// <summary>The mount lines (as in <c>/proc/…/mountinfo</c>) of every table where a server's mounts live.</summary>
    public static IEnumerable<string> Lines() => Tables().SelectMany(Lines);

    /// <summary>How many namespace helpers are alive (as root, those that only make networks).</summary>
    public static int Helpers => HelperDirectories().Count();

    private static IEnumerable<string> Tables() =>
        HelperDirectories().Select(d => Path.Combine(d, "mountinfo")).Prepend("/proc/self/mountinfo");

    private static IEnumerable<string> HelperDirectories()
    {
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (commandLine.Contains(HelperMarker, StringComparison.Ordinal) && !commandLine.StartsWith("unshare", StringComparison.Ordinal))
            {
                yield return directory;
            }
        }
    }

    private static IEnumerable<string> Lines(string table)
    {
        try
        {
            return File.ReadAllLines(table);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return []; // the helper exited while we looked
        }
    }
}
