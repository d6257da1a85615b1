using System.Globalization;

namespace Arker.Testing.Fixtures;

/// <summary>How the run's summaries and transcripts word numbers.</summary>
internal static class Wording
{
    /// <summary><c>1 command</c>, <c>3 commands</c>.</summary>
    public static string Count(int n, string noun) => n.ToString(CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? "" : "s");
}
