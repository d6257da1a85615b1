namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>Looks at the host's processes from outside every sandbox.</summary>
public static class HostProcesses
{
    /// <summary>
    /// How many host processes have exactly one of these command lines (arguments joined by
    /// spaces). Tests use command lines no other test uses, such as <c>sleep 6101</c>.
    /// </summary>
    public static int Count(params string[] commandLines)
    {
        int count = 0;
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                string commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').TrimEnd();
                if (commandLines.Contains(commandLine))
                {
                    count++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return count;
    }
}
