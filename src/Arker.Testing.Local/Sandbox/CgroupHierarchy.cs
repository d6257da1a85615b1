namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// Finds where this host lets us put per-VM limits: a pure cgroup v2 hierarchy, or cgroup v1
/// <c>memory</c> and <c>pids</c> controllers (with the v2 <c>unified</c> tree for <c>cgroup.kill</c>
/// on hybrid hosts). Nothing is assumed: each piece is looked for and used only when present.
/// </summary>
internal sealed class CgroupHierarchy
{
    private const string Root = "/sys/fs/cgroup";

    private CgroupHierarchy(string? v2Root, bool v2HasControllers, string? v1Memory, string? v1Pids)
    {
        V2Root = v2Root;
        V2HasControllers = v2HasControllers;
        V1Memory = v1Memory;
        V1Pids = v1Pids;
    }

    /// <summary>The cgroup v2 mount (pure v2 or the hybrid <c>unified</c> tree), if writable.</summary>
    public string? V2Root { get; }

    /// <summary>Whether the v2 tree can limit memory and pids itself.</summary>
    public bool V2HasControllers { get; }

    public string? V1Memory { get; }

    public string? V1Pids { get; }

    public bool CanLimitMemory => V2HasControllers || V1Memory is not null;

    public bool CanLimitProcesses => V2HasControllers || V1Pids is not null;

    public string Describe() =>
        V2HasControllers ? "cgroup v2"
        : V1Memory is not null || V1Pids is not null ? $"cgroup v1 (memory: {V1Memory is not null}, pids: {V1Pids is not null}, kill via v2: {V2Root is not null})"
        : "no cgroup limits";

    public static CgroupHierarchy Detect()
    {
        string? v2 = null;
        bool v2Controllers = false;
        if (File.Exists(Path.Combine(Root, "cgroup.controllers")))
        {
            v2 = Root;
            string controllers = File.ReadAllText(Path.Combine(Root, "cgroup.controllers"));
            v2Controllers = controllers.Contains("memory", StringComparison.Ordinal) && controllers.Contains("pids", StringComparison.Ordinal);
        }
        else if (File.Exists(Path.Combine(Root, "unified", "cgroup.procs")))
        {
            v2 = Path.Combine(Root, "unified");
        }

        string? v1Memory = !v2Controllers && File.Exists(Path.Combine(Root, "memory", "memory.limit_in_bytes")) ? Path.Combine(Root, "memory") : null;
        string? v1Pids = !v2Controllers && File.Exists(Path.Combine(Root, "pids", "cgroup.procs")) ? Path.Combine(Root, "pids") : null;

        if (v2 is not null && !IsWritable(v2))
        {
            v2 = null;
            v2Controllers = false;
        }

        return new CgroupHierarchy(v2, v2Controllers, v1Memory is not null && IsWritable(v1Memory) ? v1Memory : null, v1Pids is not null && IsWritable(v1Pids) ? v1Pids : null);
    }

    /// <summary>Every hierarchy root a VM's cgroup gets a directory in.</summary>
    public IEnumerable<string> Roots()
    {
        if (V2Root is not null)
        {
            yield return V2Root;
        }

        if (V1Memory is not null)
        {
            yield return V1Memory;
        }

        if (V1Pids is not null)
        {
            yield return V1Pids;
        }
    }

    private static bool IsWritable(string directory)
    {
        string probe = Path.Combine(directory, $"arker-local-probe-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
