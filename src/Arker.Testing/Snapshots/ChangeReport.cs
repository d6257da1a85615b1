namespace Arker.Testing.Snapshots;

/// <summary>What a test changed below a directory, compared with its base: created, modified, deleted.</summary>
internal static class ChangeReport
{
    /// <summary>Compares two listings made by <see cref="ComputerSnapshots.ListAsync"/>.</summary>
    public static string Create(string directory, string before, string after)
    {
        Dictionary<string, string> Parse(string listing) => listing
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Path: line.Split(["  ", " -> "], 2, StringSplitOptions.None)[0], Line: line))
            .ToDictionary(e => e.Path, e => e.Line, StringComparer.Ordinal);

        Dictionary<string, string> old = Parse(before);
        Dictionary<string, string> now = Parse(after);
        var lines = new List<string> { $"changes below {directory}:" };
        lines.AddRange(now.Keys.Where(p => !old.ContainsKey(p)).Order(StringComparer.Ordinal).Select(p => "created  " + now[p]));
        lines.AddRange(now.Keys.Where(p => old.TryGetValue(p, out string? was) && was != now[p]).Order(StringComparer.Ordinal).Select(p => "modified " + now[p]));
        lines.AddRange(old.Keys.Where(p => !now.ContainsKey(p)).Order(StringComparer.Ordinal).Select(p => "deleted  " + p));
        if (lines.Count == 1)
        {
            lines.Add("(none)");
        }

        return string.Join('\n', lines) + "\n";
    }
}
