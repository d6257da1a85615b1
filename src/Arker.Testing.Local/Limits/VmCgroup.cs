using Arker.Testing.Local.Isolation;

namespace Arker.Testing.Local.Limits;

/// <summary>
/// The cgroup(s) of one VM: limits on memory and process count, and a way to kill every
/// process of the VM at once. One directory per hierarchy, named after the instance and VM.
/// </summary>
internal sealed class VmCgroup
{
    private readonly CgroupHierarchy _hierarchy;
    private readonly List<string> _directories = [];

    private VmCgroup(CgroupHierarchy hierarchy) => _hierarchy = hierarchy;

    /// <summary>The <c>cgroup.procs</c> files a new sandbox process must be written into.</summary>
    public IReadOnlyList<string> ProcsFiles => _directories.Select(d => Path.Combine(d, "cgroup.procs")).ToArray();

    public static VmCgroup Create(CgroupHierarchy hierarchy, string instanceGroup, string name, long memoryBytes, int processLimit)
    {
        var cgroup = new VmCgroup(hierarchy);
        foreach (string root in hierarchy.Roots())
        {
            string parent = Path.Combine(root, instanceGroup);
            if (!Directory.Exists(parent))
            {
                Directory.CreateDirectory(parent);
                if (root == hierarchy.V2Root && hierarchy.V2HasControllers)
                {
                    TryWrite(Path.Combine(root, "cgroup.subtree_control"), "+memory +pids");
                    TryWrite(Path.Combine(parent, "cgroup.subtree_control"), "+memory +pids");
                }
            }

            string directory = Path.Combine(parent, name);
            Directory.CreateDirectory(directory);
            cgroup._directories.Add(directory);

            if (root == hierarchy.V2Root && hierarchy.V2HasControllers)
            {
                TryWrite(Path.Combine(directory, "memory.max"), memoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
                TryWrite(Path.Combine(directory, "memory.swap.max"), "0");
                TryWrite(Path.Combine(directory, "pids.max"), processLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (root == hierarchy.V1Memory)
            {
                TryWrite(Path.Combine(directory, "memory.limit_in_bytes"), memoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
                TryWrite(Path.Combine(directory, "memory.memsw.limit_in_bytes"), memoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (root == hierarchy.V1Pids)
            {
                TryWrite(Path.Combine(directory, "pids.max"), processLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return cgroup;
    }

    /// <summary>Whether <see cref="KillAllAsync"/> reaches every process of the VM (there is a cgroup to kill).</summary>
    public bool KillsEverything => _directories.Count > 0;

    /// <summary>Kills every process of the VM and waits until none is left, so nothing can write any more.</summary>
    public async Task KillAllAsync()
    {
        if (_directories.Count == 0)
        {
            return;
        }

        string directory = _directories[0];
        string killFile = Path.Combine(directory, "cgroup.kill");
        for (int attempt = 0; attempt < 400; attempt++)
        {
            int[] pids = ReadPids(directory);
            if (pids.Length == 0)
            {
                return;
            }

            if (File.Exists(killFile))
            {
                TryWrite(killFile, "1");
            }
            else
            {
                foreach (int pid in pids)
                {
                    ChildProcesses.KillCgroupMember(pid, Path.Combine(directory, "cgroup.procs"));
                }
            }

            // Dying takes the kernel a few milliseconds; look closely at first, then back off.
            if (SpinWait.SpinUntil(() => ReadPids(directory).Length == 0, attempt == 0 ? 20 : 0))
            {
                return;
            }

            await Task.Delay(5);
        }

        throw new IOException($"processes of cgroup {directory} did not die within 2 seconds of SIGKILL");
    }

    /// <summary>Kills every process in the VM and removes its cgroup directories.</summary>
    public async Task DestroyAsync()
    {
        foreach (string directory in _directories)
        {
            await KillAndRemoveAsync(directory);
        }
    }

    /// <summary>Kills every process in a cgroup directory (and below) and removes it.</summary>
    public static async Task KillAndRemoveAsync(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (string child in Directory.EnumerateDirectories(directory))
        {
            await KillAndRemoveAsync(child);
        }

        string killFile = Path.Combine(directory, "cgroup.kill");
        for (int attempt = 0; attempt < 200; attempt++)
        {
            if (File.Exists(killFile))
            {
                TryWrite(killFile, "1");
            }
            else
            {
                foreach (int pid in ReadPids(directory))
                {
                    ChildProcesses.KillCgroupMember(pid, Path.Combine(directory, "cgroup.procs"));
                }
            }

            try
            {
                Directory.Delete(directory);
                return;
            }
            catch (IOException)
            {
                await Task.Delay(5);
            }
        }
    }

    private static int[] ReadPids(string directory)
    {
        string procs = Path.Combine(directory, "cgroup.procs");
        if (!File.Exists(procs))
        {
            return [];
        }

        try
        {
            return File.ReadAllLines(procs).Where(l => l.Length > 0).Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static void TryWrite(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A control file this host does not have (e.g. memsw without swap accounting).
        }
    }
}
