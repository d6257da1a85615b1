namespace Arker.Testing.Inputs;

/// <summary>How inputs are named in logs and the run summary: short, where they are below the test's folders.</summary>
internal static class HostInputDisplay
{
    /// <summary>A path relative to the test's output folder, or to the current folder, where it is below one; else as it is.</summary>
    public static string Path(string fullPath)
    {
        foreach (string folder in (string[])[AppContext.BaseDirectory, Environment.CurrentDirectory])
        {
            string relative = System.IO.Path.GetRelativePath(folder, fullPath);
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !System.IO.Path.IsPathRooted(relative))
            {
                return relative.Replace(System.IO.Path.DirectorySeparatorChar, '/');
            }
        }

        return fullPath;
    }
}
