namespace Arker.Testing.Local.Limits;

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
        V2HasControllers ? (V2Root is { } tree && tree.Contains("/user@", StringComparison.Ordinal) ? $"cgroup v2, delegated ({tree})" : "cgroup v2")
        : V1Memory is not null || V1Pids is not null ? $"cgroup v1 (memory: {V1Memory is not null}, pids: {V1Pids is not null}, kill via v2: {V2Root is not null})"
        : "no cgroup limits";

    public static CgroupHierarchy Detect() => Detect(Root, "/proc/self/cgroup", Environment.IsPrivilegedProcess);

    /// <summary>
    /// Detects the hierarchy below <paramref name="root"/>. Without root, only a cgroup v2 tree
    /// delegated to the user can be used: the <c>user@&lt;uid&gt;.service</c> cgroup above this
    /// process (<paramref name="selfCgroupFile"/>), which systemd delegates with the memory and
    /// pids controllers; VM cgroups go below it.
    /// </summary>
    internal static CgroupHierarchy Detect(string root, string selfCgroupFile, bool privileged)
    {
        if (!privileged)
        {
            return DelegatedTree(root, selfCgroupFile) is { } delegated
                ? new CgroupHierarchy(delegated, v2HasControllers: true, v1Memory: null, v1Pids: null)
                : new CgroupHierarchy(null, v2HasControllers: false, v1Memory: null, v1Pids: null);
        }

        string? v2 = null;
        bool v2Controllers = false;
        if (File.Exists(Path.Combine(root, "cgroup.controllers")))
        {
            v2 = root;
            v2Controllers = HasLimitControllers(root);
        }
        else if (File.Exists(Path.Combine(root, "unified", "cgroup.procs")))
        {
            v2 = Path.Combine(root, "unified");
        }

        string? v1Memory = !v2Controllers && File.Exists(Path.Combine(root, "memory", "memory.limit_in_bytes")) ? Path.Combine(root, "memory") : null;
        string? v1Pids = !v2Controllers && File.Exists(Path.Combine(root, "pids", "cgroup.procs")) ? Path.Combine(root, "pids") : null;

        if (v2 is not null && !IsWritable(v2))
        {
            v2 = null;
            v2Controllers = false;
        }

        return new CgroupHierarchy(v2, v2Controllers, v1Memory is not null && IsWritable(v1Memory) ? v1Memory : null, v1Pids is not null && IsWritable(v1Pids) ? v1Pids : null);
    }

    /// <summary>The writable <c>user@&lt;uid&gt;.service</c> cgroup above this process, if it has memory and pids.</summary>
    private static string? DelegatedTree(string root, string selfCgroupFile)
    {
        string? path = File.Exists(selfCgroupFile)
            ? File.ReadLines(selfCgroupFile).FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..]
            : null;
        if (path is null || !File.Exists(Path.Combine(root, "cgroup.controllers")))
        {
            return null; // no cgroup v2 tree this process belongs to
        }

        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int service = Array.FindLastIndex(parts, p => p.StartsWith("user@", StringComparison.Ordinal) && p.EndsWith(".service", StringComparison.Ordinal));
        if (service < 0)
        {
            return null;
        }

        string delegated = Path.Combine([root, .. parts[..(service + 1)]]);
        return HasLimitControllers(delegated) && IsWritable(delegated) ? delegated : null;
    }

    private static bool HasLimitControllers(string directory)
    {
        string file = Path.Combine(directory, "cgroup.controllers");
        if (!File.Exists(file))
        {
            return false;
        }

        string[] controllers = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return controllers.Contains("memory") && controllers.Contains("pids");
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
