using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Limits;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// Without root, VM limits need a cgroup v2 tree delegated to the user: the <c>user@&lt;uid&gt;.service</c>
/// cgroup above the server, with the memory and pids controllers. Detection is read from a cgroup
/// tree laid out as systemd makes it (this machine's own tree is hybrid v1, with no delegation).
/// </summary>
public sealed class CgroupDelegationTests : IDisposable
{
    private const string Service = "user.slice/user-1000.slice/user@1000.service";
    private readonly string _root = Directory.CreateTempSubdirectory("arker-cgroup-tree-").FullName;

    [Fact]
    public void ADelegatedTreeWithMemoryAndPids_IsWhereVmCgroupsGo()
    {
        string selfCgroup = Layout(rootControllers: "cpu memory pids", serviceControllers: "memory pids", self: $"/{Service}/app.slice/run-1.scope");

        CgroupHierarchy cgroups = CgroupHierarchy.Detect(_root, selfCgroup, privileged: false);

        Assert.Equal(Path.Combine(_root, Service), cgroups.V2Root);
        Assert.True(cgroups.CanLimitMemory && cgroups.CanLimitProcesses);
        Assert.Equal([Path.Combine(_root, Service)], cgroups.Roots());
        Assert.StartsWith("cgroup v2, delegated", cgroups.Describe());
    }

    [Theory]
    [InlineData("memory", $"/{Service}/app.slice/run-1.scope")] // pids not delegated
    [InlineData("memory pids", "/system.slice/ci-runner.service")] // not in a user's service
    public void WithoutAUsableDelegation_ThereAreNoLimits_AndTheServerSaysSo(string serviceControllers, string self)
    {
        string selfCgroup = Layout(rootControllers: "memory pids", serviceControllers, self);

        CgroupHierarchy cgroups = CgroupHierarchy.Detect(_root, selfCgroup, privileged: false);

        Assert.Null(cgroups.V2Root);
        Assert.False(cgroups.CanLimitMemory || cgroups.CanLimitProcesses);
        Assert.Empty(cgroups.Roots());
        Assert.Equal("no cgroup limits", cgroups.Describe());
    }

    [Fact]
    public void WithoutRoot_TheHostsOwnHierarchy_IsNeverUsed()
    {
        string selfCgroup = Layout(rootControllers: "memory pids", serviceControllers: "memory pids", self: "/");

        Assert.Null(CgroupHierarchy.Detect(_root, selfCgroup, privileged: false).V2Root);
        Assert.Equal(_root, CgroupHierarchy.Detect(_root, selfCgroup, privileged: true).V2Root);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Lays out a cgroup v2 tree and a <c>/proc/self/cgroup</c> file; returns the file's path.</summary>
    private string Layout(string rootControllers, string serviceControllers, string self)
    {
        string service = Path.Combine(_root, Service);
        Directory.CreateDirectory(service);
        File.WriteAllText(Path.Combine(_root, "cgroup.controllers"), rootControllers + "\n");
        File.WriteAllText(Path.Combine(service, "cgroup.controllers"), serviceControllers + "\n");
        string selfCgroup = Path.Combine(_root, "self-cgroup");
        File.WriteAllText(selfCgroup, $"0::{self}\n");
        return selfCgroup;
    }
}
