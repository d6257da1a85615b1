using System.Text.RegularExpressions;

namespace Arker.Testing.Snapshots;

/// <summary>How snapshot text is cleaned before comparison: the built-in scrubbers, then yours.</summary>
public sealed class SnapshotSettings
{
    private readonly List<Func<string, string>> _scrubbers = [];

    /// <summary>Whether the built-in scrubbers run (VM ids, ULIDs, GUIDs, timestamps, durations, temporary paths).</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool ScrubBuiltIns { get; set; } = true;

    /// <summary>What a mismatch does.</summary>
    /// <value>The default is <see langword="null"/>: <see cref="SnapshotBehavior.Accept"/> with
    /// <c>ARKER_SNAPSHOTS_ACCEPT=1</c>, else <see cref="SnapshotBehavior.FailOnly"/> with <c>CI=true</c>,
    /// else <see cref="SnapshotBehavior.Review"/>.</value>
    public SnapshotBehavior? Behavior { get; set; }

    /// <summary>Your scrubbers, run after the built-in ones, in the order added.</summary>
    public IReadOnlyList<Func<string, string>> Scrubbers => _scrubbers;

    /// <summary>Adds a scrubber: any change to the text before it is compared.</summary>
    public SnapshotSettings AddScrubber(Func<string, string> scrubber)
    {
        ArgumentNullException.ThrowIfNull(scrubber);
        _scrubbers.Add(scrubber);
        return this;
    }

    /// <summary>Replaces every match of <paramref name="pattern"/> with <paramref name="replacement"/>.</summary>
    public SnapshotSettings ScrubRegex([System.Diagnostics.CodeAnalysis.StringSyntax(System.Diagnostics.CodeAnalysis.StringSyntaxAttribute.Regex)] string pattern, string replacement)
    {
        var regex = new Regex(pattern, RegexOptions.Multiline, TimeSpan.FromSeconds(5));
        return AddScrubber(text => regex.Replace(text, replacement));
    }
}
