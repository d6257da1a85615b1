namespace Arker.Testing.Local;

/// <summary>
/// Where the server keeps what outlives it on this machine, unless told otherwise:
/// <c>$XDG_CACHE_HOME/arker-local</c>, else <c>~/.cache/arker-local</c>. The base cache keeps its
/// bases in <c>bases/</c> below it, unpacked root filesystem archives are in <c>roots/</c>.
/// </summary>
internal static class LocalCacheFolder
{
    public static string Default()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "arker-local");
    }
}
