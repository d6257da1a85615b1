namespace Arker.Testing.Local;

/// <summary>Where the server keeps VM files.</summary>
public enum VmStorage
{
    /// <summary>
    /// A private tmpfs per server instance (at most half the machine's memory): forks take about a
    /// millisecond. A VM's own files count against its memory limit.
    /// </summary>
    Memory,

    /// <summary>The data root's own filesystem: room for large data, forks several times slower.</summary>
    Disk,
}
