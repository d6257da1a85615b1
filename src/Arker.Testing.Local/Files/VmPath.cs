
namespace Arker.Testing.Local.Files;

/// <summary>
/// The area of a VM the file API reaches, and its path policy: absolute, no <c>..</c> segment, no
/// NUL, at most 4096 bytes, inside the area. The Arker API 0.1 reaches <c>/home/user</c> only (its
/// contract says so, <see cref="Home"/>); the current API the whole machine
/// (<see cref="WholeMachine"/>) but the kernel's views and devices, which are not files of the
/// VM, and the host folders a VM over the host's userland sees read-only. Paths are checked twice:
/// as given, and, once resolved inside the VM (symbolic links followed as the VM would follow
/// them), where they really are.
/// </summary>
internal sealed class VmPath
{
    private const int MaxBytes = 4096;
    private const string KernelViews = "the file API reaches the VM's own files, not the kernel's views or devices: run a command (such as 'cat /proc/meminfo') to read them";

    private readonly string _base;
    private readonly IReadOnlyList<(string Area, string Reason)> _refused;

    private VmPath(string @base, IReadOnlyList<(string Area, string Reason)> refused)
    {
        _base = @base;
        _refused = refused;
    }

    /// <summary><c>/home/user</c> and below: the Arker API 0.1's area.</summary>
    public static VmPath Home { get; } = new("/home/user", []);

    /// <summary>
    /// Every absolute path of the VM but <c>/proc</c>, <c>/sys</c> and <c>/dev</c>, and
    /// <paramref name="hostReadOnly"/>: host folders bound read-only into VMs over the host's
    /// userland (the VM sees the host's, the file API would see an empty mount point).
    /// </summary>
    public static VmPath WholeMachine(IEnumerable<string> hostReadOnly) =>
        new VmPath("/", [("/proc", KernelViews), ("/sys", KernelViews), ("/dev", KernelViews)]).Refusing(hostReadOnly);

    /// <summary>
    /// This area without <paramref name="hostReadOnly"/>: host folders bound read-only into a VM
    /// over the host's userland (the VM sees the host's, the file API would see an empty mount point).
    /// </summary>
    public VmPath Refusing(IEnumerable<string> hostReadOnly) =>
        new(_base, [.. _refused, .. hostReadOnly.Select(folder => (folder, $"{folder} is this machine's own, bound read-only into every VM over the host's userland: the file API reaches the VM's own files; run a command in the VM to read it"))]);

    /// <summary>Where the area begins, as the VM sees it (<c>/home/user</c>, or <c>/</c>).</summary>
    public string Base => _base;

    /// <summary>Segments of <see cref="Base"/> from the VM's root (none for the whole machine).</summary>
    public string[] BaseSegments => _base.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Validates a file's path and returns its segments from the VM's root.</summary>
    public string[] Parse(string path)
    {
        string[] segments = ParseDirectory(path);
        return segments.Length == BaseSegments.Length
            ? throw LocalArkerException.InvalidInput($"path must name a file{Inside} (got '{path}')")
            : segments;
    }

    /// <summary>Validates a directory's path (the area's base itself, or one inside it) and returns its segments from the VM's root.</summary>
    public string[] ParseDirectory(string path)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw LocalArkerException.InvalidInput("path must not contain a NUL byte");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxBytes)
        {
            throw LocalArkerException.InvalidInput($"path is longer than {MaxBytes} bytes");
        }

        if (!path.StartsWith('/'))
        {
            throw NotInside(path);
        }

        string[] segments = [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".")];
        if (segments.Contains(".."))
        {
            throw LocalArkerException.InvalidInput($"path must not contain a '..' segment (got '{path}')");
        }

        EnsureAllowed("/" + string.Join('/', segments), path, resolved: false);
        return segments;
    }

    /// <summary>
    /// Refuses <paramref name="inVm"/> (a normalised absolute path as the VM sees it) outside the
    /// area; <paramref name="given"/> is what the caller asked for, and <paramref name="resolved"/>
    /// says whether <paramref name="inVm"/> is where it led once its links were followed.
    /// </summary>
    public void EnsureAllowed(string inVm, string given, bool resolved)
    {
        if (!IsWithin(inVm, _base))
        {
            throw resolved
                ? LocalArkerException.InvalidInput($"{given} resolves (through a symbolic link) outside {_base}/, which the file API does not reach")
                : NotInside(given);
        }

        foreach ((string area, string reason) in _refused)
        {
            if (IsWithin(inVm, area))
            {
                throw LocalArkerException.InvalidInput($"{given}: {reason}");
            }
        }
    }

    private string Inside => _base == "/" ? "" : $" under {_base}/";

    private LocalArkerException NotInside(string given) =>
        LocalArkerException.InvalidInput(_base == "/" ? $"path must be absolute (got '{given}')" : $"path must be absolute and under {_base}/ (got '{given}')");

    private static bool IsWithin(string path, string area) =>
        area == "/" || path == area || path.StartsWith(area + "/", StringComparison.Ordinal);
}
