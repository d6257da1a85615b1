using Arker.Testing.Local.Isolation;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>
/// Where a VM's ids are outside it: as root, one range no account uses; without root, the server's
/// user namespace, whose 0 is the invoking user (the VM user's files stay the user's) and whose
/// 1–65536 are the user's subordinate ids from <c>/etc/subuid</c> and <c>/etc/subgid</c>.
/// </summary>
public sealed class VmIdMapTests
{
    private static readonly SubordinateIds Granted = new(FirstUserId: 165_536, FirstGroupId: 231_072);

    [Fact]
    public void As_root_every_id_of_a_VM_is_the_unused_range_from_its_start()
    {
        VmIdMap map = VmIdMap.OfRoot();

        Assert.Equal($"0 {SandboxIdentity.VmIdRangeStart} 65536", map.ProcMap);
        Assert.Equal(SandboxIdentity.HostUserId, map.Outside(SandboxIdentity.VmUserId));
        Assert.Equal((SandboxIdentity.VmIdRangeStart, SandboxIdentity.VmIdRangeStart), map.VmRootOnHost);
        Assert.Equal((123, 456), map.InOuterNamespace(123, 456));
        Assert.Equal(["--uid-map", $"0:{SandboxIdentity.VmIdRangeStart}:65536", "--gid-map", $"0:{SandboxIdentity.VmIdRangeStart}:65536"], map.UmociOptions);
    }

    [Fact]
    public void Without_root_the_VM_user_is_the_namespaces_root_and_every_other_id_a_subordinate_one()
    {
        VmIdMap map = VmIdMap.OfSubordinateIds(Granted);

        Assert.Equal("0 1 1000,1000 0 1,1001 1001 64535", map.ProcMap);
        Assert.Equal(1, map.Outside(0));
        Assert.Equal(1000, map.Outside(999));
        Assert.Equal(0, map.Outside(1000));
        Assert.Equal(1001, map.Outside(1001));
        Assert.Equal(65535, map.Outside(65535));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.Outside(65536));
        Assert.Equal((165_536, 231_072), map.VmRootOnHost);
        Assert.Equal("-subids165536", map.FolderSuffix);
    }

    [Fact]
    public void Without_root_an_owner_on_this_machine_is_translated_into_the_servers_namespace()
    {
        VmIdMap map = VmIdMap.OfSubordinateIds(Granted);

        Assert.Equal((0, 0), map.InOuterNamespace(SandboxIdentity.HostUserId, SandboxIdentity.HostGroupId));
        Assert.Equal((1, 1), map.InOuterNamespace(165_536, 231_072));
        Assert.Equal((101, 43), map.InOuterNamespace(165_636, 231_114));
        Assert.Equal((65_536, 65_536), map.InOuterNamespace(165_536 + 65_535, 231_072 + 65_535));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.InOuterNamespace(165_536 + 65_536, 231_072));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.InOuterNamespace(0, 0)); // this machine's root is never in it
    }

    [Theory]
    [InlineData("alice:100000:65536", "alice", 1000, 100000)]
    [InlineData("1000:200000:65536", "alice", 1000, 200000)]
    [InlineData("bob:100000:65536\nalice:165536:70000", "alice", 1000, 165536)]
    [InlineData("alice:100000:1000\nalice:300000:65536", "alice", 1000, 300000)]
    [InlineData("alice:100000:65535", "alice", 1000, null)]
    [InlineData("alicia:100000:65536", "alice", 1000, null)]
    [InlineData("# a comment\n\nalice:x:65536\nalice:100000", "alice", 1000, null)]
    [InlineData("alice:2147480000:65536", "alice", 1000, null)]
    public void The_first_range_of_65536_ids_granted_to_the_user_by_name_or_id_is_used(string file, string user, int id, int? expected) =>
        Assert.Equal(expected, SubordinateIds.FirstRange(file.Split('\n'), user, id));
}
