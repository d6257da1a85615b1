using System.Diagnostics;
using System.Globalization;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Platform.Tests;

/// <summary>What a test host and its embedded server may leave on this machine: processes, mounts, cgroups, networks.</summary>
internal static class Leftovers
{
    public const int SigInt = 2;
    public const int SigKill = 9;

    public static List<string> MountsUnder(string directory) => ServerMounts.Under(directory);

    /// <summary>The network namespaces a process holds open by descriptor, other than its own.</summary>
    public static List<string> NetworksHeldBy(int processId)
    {
        string own = new FileInfo($"/proc/{processId}/ns/net").LinkTarget ?? "";
        return [.. Directory.GetFiles($"/proc/{processId}/fd")
            .Select(descriptor => new FileInfo(descriptor).LinkTarget ?? "")
            .Where(target => target.StartsWith("net:[", StringComparison.Ordinal) && target != own)
            .Distinct()];
    }

    /// <summary>
    /// The processes of <paramref name="processes"/> still alive once they had <paramref name="patience"/>
    /// (5 s unless given) to go: a process killed last is still dying when its killer exits.
    /// </summary>
    public static async Task<List<int>> StillAliveAsync(IEnumerable<int> processes, TimeSpan? patience = null)
    {
        var clock = Stopwatch.StartNew();
        List<int> alive;
        while ((alive = [.. processes.Where(ProcessTree.IsAlive)]).Count > 0 && clock.Elapsed < (patience ?? TimeSpan.FromSeconds(5)))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return alive;
    }

    public static List<string> CgroupsNamed(string name) =>
        [.. Directory.GetDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup").Select(root => Path.Combine(root, name)).Where(Directory.Exists)];

    /// <summary>Live processes in a cgroup of that name; zombies are dead already, left for init to reap.</summary>
    public static List<int> ProcessesInCgroup(string name)
    {
        var found = new List<int>();
        foreach (string process in Directory.GetDirectories("/proc").Where(p => int.TryParse(Path.GetFileName(p), out _)))
        {
            try
            {
                bool inCgroup = File.ReadAllText(Path.Combine(process, "cgroup")).Contains(name, StringComparison.Ordinal);
                if (inCgroup && ProcessTree.IsAlive(int.Parse(Path.GetFileName(process), CultureInfo.InvariantCulture)))
                {
                    found.Add(int.Parse(Path.GetFileName(process), CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }

    /// <summary>kill(2): a signal to a process, or with a negative id to a whole process group (as a terminal's Ctrl-C).</summary>
    public static int Signal(int processOrGroup, int signal) => Native.Kill(processOrGroup, signal);

    private static class Native
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
