using System.Text.RegularExpressions;

namespace Arker.Testing.Snapshots;

/// <summary>
/// The built-in scrubbers, Verify's way: each distinct value becomes a numbered placeholder
/// (<c>VmId_1</c>, <c>Guid_2</c>), so a snapshot still shows which values were the same.
/// </summary>
internal static partial class Scrubber
{
    public static string Scrub(string text, SnapshotSettings settings)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (settings.ScrubBuiltIns)
        {
            text = Number(VmId(), text, "VmId");
            text = Number(Ulid(), text, "Ulid");
            text = Number(Guid(), text, "Guid");
            text = Number(Timestamp(), text, "DateTime");
            text = Duration().Replace(text, "{Duration}");
            text = TempPath().Replace(text, "{TempPath}");
        }

        foreach (Func<string, string> scrubber in settings.Scrubbers)
        {
            text = scrubber(text);
        }

        return text;
    }

    private static string Number(Regex pattern, string text, string name)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        return pattern.Replace(text, match =>
        {
            if (!seen.TryGetValue(match.Value, out int number))
            {
                number = seen.Count + 1;
                seen[match.Value] = number;
            }

            return $"{name}_{number}";
        });
    }

    [GeneratedRegex(@"\b[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9]+\b")]
    private static partial Regex VmId();

    [GeneratedRegex(@"\b[0-7][0-9A-HJKMNP-TV-Z]{25}\b")]
    private static partial Regex Ulid();

    [GeneratedRegex(@"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b")]
    private static partial Regex Guid();

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b")]
    private static partial Regex Timestamp();

    [GeneratedRegex(@"\b\d+(\.\d+)?\s?(ns|µs|us|ms|s|sec|seconds|min)\b")]
    private static partial Regex Duration();

    [GeneratedRegex(@"/tmp/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")]
    private static partial Regex TempPath();
}
