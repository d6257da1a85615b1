namespace Arker.Testing.Local.Limits;

/// <summary>The limits every VM of a server instance gets: a cgroup of its own below the instance's, with its memory and process caps.</summary>
internal sealed record VmLimits(CgroupHierarchy Hierarchy, string InstanceGroup, long MemoryBytes, int ProcessLimit)
{
    public VmCgroup CreateCgroup(string name) => VmCgroup.Create(Hierarchy, InstanceGroup, name, MemoryBytes, ProcessLimit);
}
