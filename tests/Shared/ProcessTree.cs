using System.Globalization;

namespace Arker.Testing.TestSupport;

/// <summary>The host's processes as a tree, read from <c>/proc</c>, for tests that look for what a server left running.</summary>
public static class ProcessTree
{
    /// <summary>The ids of every process below <paramref name="ancestor"/> (children, their children, …), as the host sees them now.</summary>
    public static List<int> DescendantsOf(int ancestor)
    {
        var parents = new Dictionary<int, int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int process))
            {
                continue;
            }

            try
            {
                string stat = File.ReadAllText(Path.Combine(directory, "stat"));
                parents[process] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        var found = new List<int>();
        var pending = new Queue<int>([ancestor]);
        while (pending.TryDequeue(out int parent))
        {
            foreach (int child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                pending.Enqueue(child);
            }
        }

        return found;
    }

    /// <summary>Whether a process exists and is not a zombie (dead, waiting for its parent or init to reap it).</summary>
    public static bool IsAlive(int processId)
    {
        try
        {
            return !File.ReadLines($"/proc/{processId}/status").Any(line => line.StartsWith("State:", StringComparison.Ordinal) && line.Contains("Z (zombie)", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
