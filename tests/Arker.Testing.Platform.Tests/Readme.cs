using System.Text.RegularExpressions;

namespace Arker.Testing.Platform.Tests;

/// <summary>The repository's README, as the tests that check its snippets read it.</summary>
internal static class Readme
{
    public static string Text => File.ReadAllText(Path.Combine(BuildMetadata.Get("RepositoryRoot"), "README.md"));

    /// <summary>The fenced block that follows <c>&lt;!-- snippet: name … --&gt;</c>, exactly as printed.</summary>
    public static string Snippet(string name)
    {
        Match snippet = Regex.Match(Text, $@"<!-- snippet: {Regex.Escape(name)}[ ][^>]*-->\s*```[a-z]*\n(?<code>.*?)```", RegexOptions.Singleline);
        Assert.True(snippet.Success, $"README.md has no block after <!-- snippet: {name} … -->.");
        return snippet.Groups["code"].Value;
    }

    /// <summary>
    /// The quick start's test data as the README prints it (<c>testdata/…</c> snippets), written
    /// under <paramref name="project"/> as a user would save it, executable.
    /// </summary>
    public static void WriteQuickStartTestData(string project)
    {
        foreach (Match file in Regex.Matches(Text, @"<!-- snippet: (?<path>testdata/\S+) "))
        {
            string path = Path.Combine(project, file.Groups["path"].Value);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Snippet(file.Groups["path"].Value));
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }
    }
}
