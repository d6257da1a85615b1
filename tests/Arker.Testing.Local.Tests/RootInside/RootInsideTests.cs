using System.Globalization;
using System.Text;
using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.RootInside;

/// <summary>
/// A VM of a distribution image (as root, or without root with subordinate ids): the VM user is <c>user</c> (uid 1000, <c>/home/user</c>)
/// with passwordless sudo to root of the VM's own user namespace; packages install with
/// <c>sudo apt-get</c> through the VM's network, under its policy (here from the tests' repository
/// on this machine); the file API reaches the whole filesystem; a fork carries every path.
/// </summary>
public sealed class RootInsideTests(DebianServerFixture debian) : IClassFixture<DebianServerFixture>
{
    [Fact]
    public async Task The_VM_user_is_user_1000_with_passwordless_sudo_to_root()
    {
        string vm = await debian.ForkAsync();

        var (stdout, stderr, exitCode) = await debian.RunAsync(vm, "id -un; id -u; echo $HOME; sudo id -u; sudo -u nobody id -un; sudo sh -c 'echo made by root > /etc/app.conf'; stat -c '%U %a' /etc/app.conf");

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("user\n1000\n/home/user\n0\nnobody\nroot 644\n", stdout);
    }

    [Fact]
    public async Task Sudo_apt_get_install_works_through_the_VMs_network_under_its_policy()
    {
        string vm = await debian.ForkAsync();
        await debian.AllowRepositoryAsync(vm);

        var (stdout, stderr, exitCode) = await debian.RunAsync(vm, $"{debian.Repository.UseAsOnlySource} && sudo apt-get update -qq && sudo apt-get install -y -qq hello >/dev/null && hello && dpkg -s hello | grep Status", timeout: 300);

        Assert.True(exitCode == 0, $"{stdout}\n{stderr}");
        Assert.Equal("Hello, world!\nStatus: install ok installed\n", stdout);
    }

    [Fact]
    public async Task Without_an_allow_rule_the_repository_on_this_machine_is_out_of_reach()
    {
        string vm = await debian.ForkAsync();

        var (stdout, _, exitCode) = await debian.RunAsync(vm, $"{debian.Repository.UseAsOnlySource} && sudo apt-get update 2>&1; echo exit:$?", timeout: 120);

        Assert.True(exitCode == 0, stdout);
        Assert.Contains($"host.arker.internal:{debian.Repository.Port}", stdout, StringComparison.Ordinal);
        Assert.Contains("Failed to fetch", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Get:1 http", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_file_API_reaches_every_path_and_a_fork_carries_them_all()
    {
        string vm = await debian.ForkAsync();
        (await debian.Api.PostAsync($"/v1/vms/{vm}/sync", Write("/tmp/hello.txt", "hello\n"u8.ToArray()))).Ok();
        (await debian.Api.PostAsync($"/v1/vms/{vm}/sync", Write("/etc/app.conf", "setting=1\n"u8.ToArray()))).Ok();
        var (_, made, madeExit) = await debian.RunAsync(vm, "sudo mkdir -p /opt/app && echo by-root | sudo tee /opt/app/state >/dev/null && echo by-user > /var/tmp/note");
        Assert.True(madeExit == 0, made);

        string child = await debian.ForkAsync(vm);
        var (stdout, stderr, exitCode) = await debian.RunAsync(child, "cat /tmp/hello.txt /etc/app.conf /opt/app/state /var/tmp/note; sudo id -u");
        JsonElement read = (await debian.Api.PostAsync($"/v1/vms/{child}/sync", new { op = "read", path = "/opt/app/state" })).Ok();

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("hello\nsetting=1\nby-root\nby-user\n0\n", stdout);
        Assert.Equal("by-root\n", Encoding.UTF8.GetString(Convert.FromBase64String(read.GetProperty("content").GetString()!)));
    }

    [Fact]
    public async Task Root_inside_is_an_id_of_no_account_outside_and_what_it_makes_belongs_to_it()
    {
        string vm = await debian.ForkAsync();

        var (stdout, _, _) = await debian.RunAsync(vm, "sudo sh -c 'echo x > /etc/root-made; exec sleep 6401 &' ; echo x > /tmp/user-made; (exec sleep 6402 &); stat -c %u /usr/bin/sudo");

        Assert.Equal("0\n", stdout);
        await Eventually.UntilAsync(() => HostProcesses.Find("sleep 6401").Any() && HostProcesses.Find("sleep 6402").Any(), "root's and the user's sleeps running in the VM, seen from this machine");
        // As root, an id of the unused range; without root, the first of the user's subordinate ids.
        string root = VmIdMap.Current!.VmRootOnHost.Uid.ToString(CultureInfo.InvariantCulture);
        string user = SandboxIdentity.HostUserId.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(["Uid:", root, root, root, root], Uids(Assert.Single(HostProcesses.Find("sleep 6401"))));
        string userProcess = Assert.Single(HostProcesses.Find("sleep 6402"));
        Assert.Equal(["Uid:", user, user, user, user], Uids(userProcess));
        Assert.Equal(root, HostOwner(Path.Combine(userProcess, "root/etc/root-made")));
        Assert.Equal(user, HostOwner(Path.Combine(userProcess, "root/tmp/user-made")));
        Assert.Equal(root, HostOwner(Path.Combine(userProcess, "root/usr/bin/sudo")));
        Assert.DoesNotContain($":{root}:", File.ReadAllText("/etc/passwd"), StringComparison.Ordinal);

        (await debian.Api.DeleteAsync($"/v1/vms/{vm}")).Ok();
        Assert.Empty(HostProcesses.Find("sleep 6401"));
        Assert.Empty(HostProcesses.Find("sleep 6402"));
    }

    private static string[] Uids(string process) =>
        File.ReadLines(Path.Combine(process, "status")).Single(line => line.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries);

    private static object Write(string path, byte[] content) =>
        new { op = "write", writes = new[] { new { path, size = content.Length, upload_id = "up-" + Guid.NewGuid().ToString("N"), content = Convert.ToBase64String(content), start = 0, end = content.Length } } };

    private static string HostOwner(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        string owner = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return owner;
    }
}
