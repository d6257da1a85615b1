
namespace Arker.Testing.Local.Files;

/// <summary>
/// The contract's path policy: absolute, under <c>/home/user/</c>, no <c>..</c> segment, no NUL,
/// at most 4096 bytes. The result is the path relative to the VM's root, segment by segment.
/// Symbolic links are checked later, when the path is resolved inside the VM.
/// </summary>
internal static class VmPath
{
    public const string Home = "/home/user";
    private const int MaxBytes = 4096;

    /// <summary>Validates <paramref name="path"/> and returns its segments below <c>/home/user</c>.</summary>
    public static string[] Parse(string path)
    {
        string[] segments = ParseDirectory(path);
        return segments.Length == 0
            ? throw LocalArkerException.InvalidInput($"path must name a file under {Home}/ (got '{path}')")
            : segments;
    }

    /// <summary>Validates a directory path: <c>/home/user</c> itself (no segments) or one below it.</summary>
    public static string[] ParseDirectory(string path)
    {
        if (path == Home)
        {
            return [];
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw LocalArkerException.InvalidInput("path must not contain a NUL byte");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxBytes)
        {
            throw LocalArkerException.InvalidInput($"path is longer than {MaxBytes} bytes");
        }

        if (!path.StartsWith(Home + "/", StringComparison.Ordinal))
        {
            throw LocalArkerException.InvalidInput($"path must be absolute and under {Home}/ (got '{path}')");
        }

        string[] segments = path[(Home.Length + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Contains(".."))
        {
            throw LocalArkerException.InvalidInput($"path must not contain a '..' segment (got '{path}')");
        }

        return [.. segments.Where(s => s != ".")];
    }
}
