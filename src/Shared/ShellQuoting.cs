namespace Arker.Testing.Shared;

/// <summary>Quoting for POSIX shells, in one place for the client side and the server (a source file both compile).</summary>
internal static class ShellQuoting
{
    /// <summary><paramref name="value"/> as one word for <c>sh</c>: in single quotes, each single quote written as <c>'\''</c>.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
