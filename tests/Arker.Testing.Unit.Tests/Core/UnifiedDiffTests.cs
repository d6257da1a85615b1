using Arker.Testing.Snapshots;

namespace Arker.Testing.Unit.Tests.Core;

/// <summary>The diff a snapshot mismatch shows: unified, with three lines of context, hunks apart when far apart.</summary>
public sealed class UnifiedDiffTests
{
    [Fact]
    public void A_changed_line_shows_as_removed_and_added_within_its_context()
    {
        string diff = UnifiedDiff.Create("a\nb\nc\nd\ne\n", "a\nb\nC\nd\ne\n", "verified", "received");

        Assert.Equal("""
            --- verified
            +++ received
            @@ -1,6 +1,6 @@
             a
             b
            -c
            +C
             d
             e
             

            """.Replace("\r\n", "\n", StringComparison.Ordinal), diff);
    }

    [Fact]
    public void Changes_far_apart_make_separate_hunks_with_their_own_line_numbers()
    {
        string[] lines = [.. Enumerable.Range(1, 20).Select(i => $"line {i}")];
        string expected = string.Join('\n', lines);
        string actual = string.Join('\n', lines.Select(l => l is "line 2" or "line 18" ? l + "!" : l));

        string diff = UnifiedDiff.Create(expected, actual, "old", "new");

        Assert.Equal(["@@ -1,5 +1,5 @@", "@@ -15,6 +15,6 @@"], diff.Split('\n').Where(l => l.StartsWith("@@", StringComparison.Ordinal)));
        Assert.Contains("-line 18\n+line 18!\n", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Added_and_removed_lines_count_on_their_own_side()
    {
        string diff = UnifiedDiff.Create("keep\ngone\n", "keep\nnew\nnewer\n", "a", "b");

        Assert.Contains("@@ -1,3 +1,4 @@", diff, StringComparison.Ordinal);
        Assert.Contains("-gone\n+new\n+newer\n", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Equal_texts_have_no_hunk() =>
        Assert.Equal("--- a\n+++ b\n", UnifiedDiff.Create("same\n", "same\n", "a", "b").ReplaceLineEndings("\n"));
}
