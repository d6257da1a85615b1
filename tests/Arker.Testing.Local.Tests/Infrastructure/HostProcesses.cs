namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>Looks at the host's processes from outside every sandbox.</summary>
public static class HostProcesses
{
    /// <summary>
    /// How many host processes have exactly one of these command lines (arguments joined by
    /// spaces). Tests use command lines no other test uses, such as <c>sleep 6101</c>.
    /// </summary>
    public static int Count(params string[] commandLines) => Find(commandLines).Count();

    /// <summary>The <c>/proc</c> folders of the host processes with exactly one of these command lines.</summary>
    public static IEnumerable<string> Find(params string[] commandLines)
    {
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').TrimEnd();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
                continue;
            }

            if (commandLines.Contains(commandLine))
            {
                yield return directory;
            }
        }
    }
}
