using System.Globalization;
using System.Text;
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
    /// Every snippet marked <c>(compiled …)</c>, as methods of an xunit <c>ArkerTest</c> class (the
    /// context the README's snippets are written in), their <c>using</c> directives hoisted to the
    /// top: a C# file that compiles only if each snippet does as printed.
    /// </summary>
    public static string CompiledSnippetsAsOneTestClass()
    {
        // What a test class of the quick start has in scope; anything else a snippet must bring itself.
        var usings = new SortedSet<string>(StringComparer.Ordinal)
        {
            "using System.Net;", "using Arker.Testing.Assertions;", "using Arker.Testing.Client;", "using Arker.Testing.Fixtures;",
            "using Arker.Testing.Samples;", "using Arker.Testing.Xunit;", "using Xunit;",
        };
        var methods = new StringBuilder();
        foreach (Match marked in Regex.Matches(Text, @"<!-- snippet: (?<name>\S+) \(compiled "))
        {
            string name = marked.Groups["name"].Value;
            var body = new StringBuilder();
            foreach (string line in Snippet(name).Split('\n'))
            {
                if (Regex.IsMatch(line, @"^using [A-Za-z.]+;$"))
                {
                    usings.Add(line);
                }
                else
                {
                    body.Append("        ").AppendLine(line);
                }
            }

            string freeVariables = body.ToString().Contains("anyText", StringComparison.Ordinal) ? "        string anyText = \"any text\";\n" : "";
            methods.Append(CultureInfo.InvariantCulture, $"    internal async Task Snippet_{name.Replace('-', '_')}()\n    {{\n{freeVariables}{body}    }}\n\n");
        }

        return $"{string.Join('\n', usings)}\n\n[ArkerVm]\npublic sealed class ReadmeSnippets : ArkerTest\n{{\n{methods}}}\n";
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
