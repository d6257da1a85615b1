namespace Arker.Testing.Settings;

/// <summary>
/// How a setting's text is read, one rule each: a setting takes exactly its documented values and
/// refuses anything else with its name, what it takes and what it got (never a silent default).
/// </summary>
internal static class SettingValues
{
    /// <summary>A switch: <c>1</c>, <c>true</c>, <c>yes</c>, <c>on</c> or <c>0</c>, <c>false</c>, <c>no</c>, <c>off</c> (any case); unset or empty is off.</summary>
    public static bool Flag(string name, string? text) =>
        Normalized(text) switch
        {
            null or "0" or "false" or "no" or "off" => false,
            "1" or "true" or "yes" or "on" => true,
            _ => throw new ArgumentException($"{name} must be 1, true, yes or on (or 0, false, no, off to turn it off) (got '{text!.Trim()}')."),
        };

    /// <summary>
    /// A variable other tools own and set (such as <c>CI</c>): on for <c>1</c>, <c>true</c>, <c>yes</c>
    /// or <c>on</c>, off for anything else, never refused.
    /// </summary>
    public static bool LenientFlag(string? text) => Normalized(text) is "1" or "true" or "yes" or "on";

    /// <summary>The embedded server's base cache: on (unset, <c>1</c>, <c>on</c>, …), off (<c>0</c>, <c>off</c>, …) or <c>clear</c>.</summary>
    public static LocalBaseCacheSetting LocalBaseCache(string name, string? text) =>
        Normalized(text) switch
        {
            null or "1" or "true" or "yes" or "on" => LocalBaseCacheSetting.On,
            "0" or "false" or "no" or "off" => LocalBaseCacheSetting.Off,
            "clear" => LocalBaseCacheSetting.Clear,
            _ => throw new ArgumentException($"{name} must be on (the default; also 1, true, yes), off (also 0, false, no) or clear (got '{text!.Trim()}')."),
        };

    /// <summary><c>name=value</c> entries separated by <c>;</c> (spaces around each ignored); unset or empty is none.</summary>
    public static IReadOnlyDictionary<string, string> NamedValues(string name, string? text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == entry.Length - 1)
            {
                throw new ArgumentException($"{name} takes name=value entries separated by ';', such as ubuntu-base=127.0.0.1:5000/ubuntu:24.04 (got '{entry}').");
            }

            values[entry[..equals].Trim()] = entry[(equals + 1)..].Trim();
        }

        return values;
    }

    private static string? Normalized(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim().ToLowerInvariant();
}

/// <summary>What <c>ARKER_TESTING_LOCAL_CACHE</c> asks for.</summary>
internal enum LocalBaseCacheSetting
{
    On,
    Off,
    Clear,
}
