using System.Text.RegularExpressions;

namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>
/// The published SDK packages the product is defined from, as registry diffs in the shared seeds
/// folder beside the repository. Files are rebuilt line by line from the diff.
/// </summary>
public static partial class SeedDocuments
{
    /// <summary>The seeds folder, or null when this checkout has none beside it.</summary>
    public static string? Folder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Arker.Testing.sln")))
            {
                string seeds = Path.Combine(directory.FullName, "..", "shared", "seeds");
                return Directory.Exists(seeds) ? Path.GetFullPath(seeds) : null;
            }
        }

        return null;
    }

    /// <summary>Rebuilds <paramref name="packagePath"/> (e.g. <c>package/dist/index.cjs</c>) from the seed that lists it.</summary>
    public static string ExtractFile(string seedsFolder, string packagePath)
    {
        foreach (string seed in Directory.EnumerateFiles(seedsFolder))
        {
            string[] lines = File.ReadAllLines(seed);
            Match? listed = lines.Select(l => FileListing().Match(l)).FirstOrDefault(m => m.Success && m.Groups[1].Value == packagePath);
            if (listed is null)
            {
                continue;
            }

            int count = int.Parse(listed.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            int hunk = Array.FindIndex(lines, l => l == $"@@ -0,0 +1,{count} @@");
            return string.Join('\n', ReadLines(lines, hunk + 1, count)) + "\n";
        }

        throw new FileNotFoundException($"no seed lists {packagePath}");
    }

    /// <summary>Each source line is framed as "|", "|", its number, "|", "+", then the line (absent when empty).</summary>
    private static IEnumerable<string> ReadLines(string[] lines, int start, int count)
    {
        int i = start;
        for (int number = 1; number <= count; number++)
        {
            while (!(lines[i] == "|" && lines[i + 1] == "|" && lines[i + 2] == number.ToString(System.Globalization.CultureInfo.InvariantCulture) && lines[i + 3] == "|" && lines[i + 4] == "+"))
            {
                i++;
            }

            i += 5;
            bool empty = i + 2 < lines.Length && lines[i] == "|" && lines[i + 1] == "|" && lines[i + 2] == (number + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            yield return empty || i >= lines.Length ? "" : lines[i];
        }
    }

    [GeneratedRegex(@"^- (\S+) \+(\d+) -0$")]
    private static partial Regex FileListing();
}
