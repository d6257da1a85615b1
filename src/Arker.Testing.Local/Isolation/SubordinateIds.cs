using System.Globalization;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// Without root, the ids <c>/etc/subuid</c> and <c>/etc/subgid</c> grant the invoking user (as
/// rootless Podman uses them), which <c>newuidmap</c> and <c>newgidmap</c> map into the server's
/// user namespace: with them, VMs of an image have root inside and every id an image's files use.
/// The server's namespace then maps its root (0) to the user, as always, and 1–65536 to the first
/// <see cref="Count"/> ids of the user's ranges (see <see cref="VmIdMap"/>).
/// </summary>
/// <param name="FirstUserId">The first subordinate uid used.</param>
/// <param name="FirstGroupId">The first subordinate gid used.</param>
internal sealed record SubordinateIds(int FirstUserId, int FirstGroupId)
{
    /// <summary>How many subordinate ids of each kind the server maps: one for each id of a VM but the VM user's own.</summary>
    public const int Count = 65_536;

    private static readonly Lazy<(SubordinateIds? Ids, string Missing)> OfThisUser = new(Find);

    /// <summary>This user's, when the server runs without root and the machine grants them; otherwise null.</summary>
    public static SubordinateIds? Current => OfThisUser.Value.Ids;

    /// <summary>Why <see cref="Current"/> is null, and what would grant them; empty when it is not.</summary>
    public static string Missing => OfThisUser.Value.Missing;

    /// <summary>
    /// The options of util-linux's <c>unshare</c> (2.38 or later) that add these ids to a user
    /// namespace whose root is the invoking user (<c>--map-root-user</c>).
    /// </summary>
    public IReadOnlyList<string> UnshareOptions =>
        [$"--map-users={FirstUserId},1,{Count}", $"--map-groups={FirstGroupId},1,{Count}"];

    /// <summary>
    /// The first range of at least <see cref="Count"/> ids that <paramref name="file"/> (the lines
    /// of <c>/etc/subuid</c> or <c>/etc/subgid</c>) grants to <paramref name="user"/> (a name) or
    /// <paramref name="id"/>; null when there is none.
    /// </summary>
    internal static int? FirstRange(IEnumerable<string> file, string user, int id)
    {
        foreach (string line in file)
        {
            string[] fields = line.Trim().Split(':');
            if (fields.Length == 3
                && (fields[0] == user || fields[0] == id.ToString(CultureInfo.InvariantCulture))
                && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int start)
                && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long count)
                && count >= Count
                && (long)start + Count <= int.MaxValue)
            {
                return start;
            }
        }

        return null;
    }

    private static (SubordinateIds?, string) Find()
    {
        if (Environment.IsPrivilegedProcess || !OperatingSystem.IsLinux())
        {
            return (null, "");
        }

        string user = Environment.UserName;
        string grant = $"grant your user a range of {Count} ids in /etc/subuid and /etc/subgid (sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {user}, with a range no other user has)";
        if (SandboxPrerequisites.FindExecutable("newuidmap") is null || SandboxPrerequisites.FindExecutable("newgidmap") is null)
        {
            return (null, $"newuidmap and newgidmap are not installed (sudo apt-get install uidmap), and {grant}");
        }

        int? firstUser = FirstRange(ReadLines("/etc/subuid"), user, Native.LibC.getuid());
        int? firstGroup = FirstRange(ReadLines("/etc/subgid"), user, Native.LibC.getuid());
        if (firstUser is not int uid || firstGroup is not int gid)
        {
            return (null, $"/etc/subuid and /etc/subgid grant {user} no range of {Count} ids: {grant}");
        }

        var ids = new SubordinateIds(uid, gid);
        string? refused = ids.TryMapping();
        return refused is null ? (ids, "") : (null, $"mapping them failed ({refused}); 'unshare --user --map-root-user {string.Join(' ', ids.UnshareOptions)} true' must succeed (util-linux 2.38 or later)");
    }

    /// <summary>Makes a user namespace with these ids once, as the server will: null when it works, else what went wrong.</summary>
    private string? TryMapping()
    {
        string? unshare = SandboxPrerequisites.FindExecutable("unshare");
        if (unshare is null)
        {
            return "unshare is not installed";
        }

        var start = new System.Diagnostics.ProcessStartInfo(unshare) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in (string[])["--user", "--map-root-user", .. UnshareOptions, "true"])
        {
            start.ArgumentList.Add(argument);
        }

        using var trial = System.Diagnostics.Process.Start(start)!;
        string errors = trial.StandardError.ReadToEnd();
        trial.WaitForExit();
        return trial.ExitCode == 0 ? null : errors.Trim();
    }

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
