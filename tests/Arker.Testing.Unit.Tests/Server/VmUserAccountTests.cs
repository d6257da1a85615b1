using Arker.Testing.Local.Storage;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>The VM user written over an image's account files: <c>user</c> with id 1000, whatever the image had at 1000, and sudo where the image has it.</summary>
public sealed class VmUserAccountTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("arker-account-root-").FullName;
    private readonly string _layer = Directory.CreateTempSubdirectory("arker-account-layer-").FullName;

    [Fact]
    public void An_images_own_account_at_1000_gives_way_to_the_VM_user_in_every_file()
    {
        Write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        Write("etc/group", "root:x:0:\nsudo:x:27:ubuntu\nubuntu:x:1000:\n");
        Write("etc/shadow", "root:*:19000:0:99999:7:::\nubuntu:!:19000:0:99999:7:::\n");
        Write("etc/hosts", "127.0.0.1 localhost\n");

        VmUserAccount.Write(_root, _layer, new LayerOwners(map: null));

        Assert.Equal(
            ["root:x:0:0:root:/root:/bin/bash", "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin", "user:x:1000:1000:Arker VM user:/home/user:/bin/bash"],
            Read("etc/passwd"));
        Assert.Equal(["root:x:0:", "sudo:x:27:ubuntu", "user:x:1000:"], Read("etc/group"));
        Assert.Equal(["root:*:19000:0:99999:7:::", "user:*:19000:0:99999:7:::"], Read("etc/shadow"));
        Assert.Equal(["127.0.1.1 arker", "127.0.0.1 localhost"], Read("etc/hosts"));
        Assert.Equal(["arker"], Read("etc/hostname"));
        Assert.False(File.Exists(Path.Combine(_layer, "etc/gshadow")));
    }

    [Fact]
    public void Sudo_is_passwordless_for_the_VM_user_where_the_image_has_sudo_and_left_alone_where_not()
    {
        Write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        Write("etc/group", "root:x:0:\n");

        VmUserAccount.Write(_root, _layer, new LayerOwners(map: null));
        Assert.False(Directory.Exists(Path.Combine(_layer, "etc/sudoers.d")));

        Directory.CreateDirectory(Path.Combine(_root, "etc/sudoers.d"));
        VmUserAccount.Write(_root, _layer, new LayerOwners(map: null));
        string rule = Path.Combine(_layer, "etc/sudoers.d/arker-vm-user");
        Assert.Equal("user ALL=(ALL:ALL) NOPASSWD: ALL\n", File.ReadAllText(rule));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead, File.GetUnixFileMode(rule));
    }

    [Fact]
    public void Where_the_image_has_no_sudo_and_the_VM_has_root_inside_a_stand_in_uses_su_which_the_VM_user_alone_may_use()
    {
        Write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        Write("etc/group", "root:x:0:\n");
        Write("etc/pam.d/su", "auth       sufficient pam_rootok.so\n@include common-auth\n");
        Write("usr/bin/su", "");
        Write("usr/bin/bash", "");
        Write("usr/sbin/runuser", "");
        Write("usr/lib/x86_64-linux-gnu/security/pam_succeed_if.so", "");

        VmUserAccount.Write(_root, _layer, new LayerOwners(map: null), rootInside: false);
        Assert.False(File.Exists(Path.Combine(_layer, "usr/local/bin/sudo"))); // no root inside: nothing to reach

        VmUserAccount.Write(_root, _layer, new LayerOwners(map: null), rootInside: true);
        string sudo = Path.Combine(_layer, "usr/local/bin/sudo");
        Assert.StartsWith("#!/bin/bash\n", File.ReadAllText(sudo), StringComparison.Ordinal);
        Assert.True(File.GetUnixFileMode(sudo).HasFlag(UnixFileMode.OtherExecute));
        Assert.Equal(["auth sufficient pam_succeed_if.so use_uid uid = 1000 quiet", "auth       sufficient pam_rootok.so", "@include common-auth"], Read("etc/pam.d/su"));
    }

    [Fact]
    public void An_image_with_its_own_sudo_gets_no_stand_in()
    {
        Write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        Write("etc/pam.d/su", "auth sufficient pam_rootok.so\n");
        Write("usr/bin/sudo", "");
        Write("usr/bin/su", "");
        Write("usr/bin/bash", "");
        Write("usr/sbin/runuser", "");
        Write("usr/lib/x86_64-linux-gnu/security/pam_succeed_if.so", "");

        VmUserAccount.Write(_root, _layer, new LayerOwners(map: null), rootInside: true);

        Assert.False(File.Exists(Path.Combine(_layer, "usr/local/bin/sudo")));
        Assert.False(File.Exists(Path.Combine(_layer, "etc/pam.d/su")));
    }

    [Fact]
    public void An_images_link_out_of_its_root_is_never_followed_here()
    {
        // An image whose /etc is a link: read from this machine, it would be this machine's own folder.
        string outside = Directory.CreateTempSubdirectory("arker-account-outside-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "passwd"), "secret:x:0:0::/:/bin/sh\n");
            File.WriteAllText(Path.Combine(outside, "shadow"), "secret:$6$hash:1:0:99999:7:::\n");
            File.CreateSymbolicLink(Path.Combine(_root, "etc"), outside);

            VmUserAccount.Write(_root, _layer, new LayerOwners(map: null));

            Assert.Equal(["user:x:1000:1000:Arker VM user:/home/user:/bin/bash"], Read("etc/passwd"));
            Assert.False(File.Exists(Path.Combine(_layer, "etc/shadow")));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void A_root_without_account_files_gets_the_VM_user_alone()
    {
        VmUserAccount.Write(_root, _layer, new LayerOwners(map: null));

        Assert.Equal(["user:x:1000:1000:Arker VM user:/home/user:/bin/bash"], Read("etc/passwd"));
        Assert.Equal(["user:x:1000:"], Read("etc/group"));
        Assert.False(File.Exists(Path.Combine(_layer, "etc/shadow")));
        Assert.Equal(["127.0.1.1 arker", "127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"], Read("etc/hosts"));
    }

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_layer, recursive: true);
    }

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private string[] Read(string relative) => File.ReadAllLines(Path.Combine(_layer, relative));
}
