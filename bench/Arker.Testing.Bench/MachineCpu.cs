using System.Globalization;

namespace Arker.Testing.Bench;

/// <summary>The CPU time of the whole machine: the server, its sandboxes, the kernel and the benchmark.</summary>
internal static class MachineCpu
{
    /// <summary>Time all CPUs have spent busy since boot (every column of /proc/stat's first line but idle and iowait).</summary>
    public static TimeSpan BusyTime()
    {
        string[] fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long ticks = 0;
        for (int i = 1; i < Math.Min(fields.Length, 9); i++)
        {
            ticks += i is 4 or 5 ? 0 : long.Parse(fields[i], CultureInfo.InvariantCulture);
        }

        return TimeSpan.FromSeconds(ticks / 100.0);
    }
}
