using System.Runtime.InteropServices;
using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.RootInside;

/// <summary>
/// What root inside a VM must not be able to do to its host, tried for real with sudo: no host
/// file, process, mount, device, kernel module, server API or other VM within reach, and the VM's
/// memory and process limits hold for root as for the VM user.
/// </summary>
public sealed class RootInsideContainmentTests(DebianServerFixture debian) : IClassFixture<DebianServerFixture>
{
    [Fact]
    public async Task Root_sees_no_file_of_this_machine_and_no_other_VM()
    {
        string other = await debian.ForkAsync();
        (await debian.RunAsync(other, "echo secret | sudo tee /etc/other-vm-secret >/dev/null")).ExitCode.Equals(0);
        string vm = await debian.ForkAsync();
        string checkout = AppContext.BaseDirectory;

        var (stdout, _, _) = await debian.RunAsync(vm,
            $"sudo ls '{checkout}' '{debian.DataRoot}' /etc/other-vm-secret 2>&1; sudo cat /proc/1/root/etc/other-vm-secret 2>&1; sudo find / -xdev -name other-vm-secret 2>/dev/null | wc -l; sudo ls /sys | wc -l");

        Assert.Contains($"'{checkout}': No such file or directory", stdout, StringComparison.Ordinal);
        Assert.Contains($"'{debian.DataRoot}': No such file or directory", stdout, StringComparison.Ordinal);
        Assert.Contains("'/etc/other-vm-secret': No such file or directory", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("secret\n", stdout.Replace("other-vm-secret", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.EndsWith("0\n0\n", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(checkout, "Arker.Testing.Local.Tests.dll")));
    }

    [Fact]
    public async Task Root_sees_only_the_VMs_processes_and_cannot_signal_the_server()
    {
        string vm = await debian.ForkAsync();

        var (stdout, _, _) = await debian.RunAsync(vm, $"sudo kill -9 {Environment.ProcessId} 2>&1; echo kill:$?; sudo ls /proc | grep -c '^[0-9]'");

        Assert.Contains("kill:1", stdout, StringComparison.Ordinal);
        Assert.InRange(int.Parse(stdout.Split('\n')[^2], System.Globalization.CultureInfo.InvariantCulture), 1, 12);
        Assert.False(System.Diagnostics.Process.GetCurrentProcess().HasExited);
    }

    [Fact]
    public async Task Root_can_make_no_device_load_no_module_and_change_no_kernel_setting()
    {
        string vm = await debian.ForkAsync();
        int finitModule = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 273 : 313;

        var (stdout, _, _) = await debian.RunAsync(vm,
            "sudo mknod /tmp/disk b 8 0 2>&1; echo mknod:$?; " +
            "sudo sh -c 'echo 1 > /proc/sys/kernel/sysrq' 2>&1; echo sysctl:$?; " +
            "sudo sh -c 'echo c > /proc/sysrq-trigger' 2>&1; echo sysrq:$?; " +
            $"sudo perl -e 'my $none = \"\"; syscall({finitModule}, -1, $none, 0); print \"module:\", $! + 0, \"\\n\"'; " +
            "sudo mount -t sysfs sysfs /sys 2>&1; echo sysfs:$?; " +
            "sudo mount -t tmpfs scratch /mnt && echo own-mount:ok");

        Assert.True(stdout.Contains("mknod:1", StringComparison.Ordinal), stdout);
        Assert.DoesNotContain("sysctl:0", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("sysrq:0", stdout, StringComparison.Ordinal);
        // EPERM: no capability over this machine's kernel (ENOSYS where the kernel has no module loading at all); EBADF would mean the check was passed.
        Assert.True(stdout.Contains("module:1\n", StringComparison.Ordinal) || stdout.Contains("module:38\n", StringComparison.Ordinal), stdout);
        Assert.DoesNotContain("sysfs:0", stdout, StringComparison.Ordinal);
        Assert.Contains("own-mount:ok", stdout, StringComparison.Ordinal); // its own mount namespace is its own
        Assert.Empty(Mounts.PointsNamed("scratch"));
    }

    [Fact]
    public async Task No_device_node_an_image_carries_reaches_a_VM_and_none_could_open()
    {
        string archive = await DebianImage.ArchiveAsync();
        bool carried = (await TarListingAsync(archive)).Contains("./srv/zero", StringComparison.Ordinal); // made where the image was built as root
        string vm = await debian.ForkAsync();

        var (stdout, _, _) = await debian.RunAsync(vm, "test -e /srv/zero && echo zero:present || echo zero:absent; awk '$5 == \"/\" { print $6 }' /proc/self/mountinfo");

        Assert.StartsWith("zero:absent\n", stdout, StringComparison.Ordinal);
        Assert.Contains("nodev", stdout.Split('\n')[1].Split(','));
        Assert.True(carried || !Environment.IsPrivilegedProcess, "the tests' image, built as root, should carry the device node /srv/zero");
    }

    [Fact]
    public async Task Root_cannot_reach_the_servers_API()
    {
        string vm = await debian.ForkAsync();

        var (stdout, _, _) = await debian.RunAsync(vm, $"sudo bash -c 'exec 3<>/dev/tcp/127.0.0.1/{debian.Server.BaseUrl.Port} && echo connected || echo refused' 2>&1", timeout: 30);

        Assert.Contains("refused", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("connected", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_VMs_process_and_memory_limits_hold_for_root()
    {
        if (debian.Server.Isolation.Contains("no cgroup limits", StringComparison.Ordinal))
        {
            Assert.True(ServerMounts.Rootless, $"as root this machine must give the server cgroup limits; it reports: {debian.Server.Isolation}");
            Assert.Skip("No limits exist here: the server runs without root and has no delegated cgroup v2 tree (its start-up warning says so).");
        }

        string vm = await debian.ForkAsync();
        const string ForkBomb = """
            sudo perl -e '
            my @children;
            for (1 .. 400) {
                my $pid = fork;
                if (!defined $pid) { print "refused after ", scalar @children, "\n"; last }
                if ($pid == 0) { sleep 30; exit 0 }
                push @children, $pid;
            }
            kill 9, @children; waitpid $_, 0 for @children;'
            """;

        var (bomb, _, _) = await debian.RunAsync(vm, ForkBomb, timeout: 60);
        var (hog, _, _) = await debian.RunAsync(vm, "sudo perl -e '$x = \"x\" x (1024 * 1024 * 1024); print \"allocated\\n\"'; echo exit:$?", timeout: 60);

        Assert.StartsWith("refused after ", bomb, StringComparison.Ordinal);
        Assert.InRange(int.Parse(bomb["refused after ".Length..], System.Globalization.CultureInfo.InvariantCulture), 1, DebianServerFixture.ProcessLimit - 1);
        Assert.DoesNotContain("allocated", hog, StringComparison.Ordinal);
        Assert.Contains("exit:137", hog, StringComparison.Ordinal);
        Assert.Equal("alive\n", (await debian.RunAsync(vm, "echo alive")).Stdout);
    }

    /// <summary>This machine's mount table, seen from outside every VM.</summary>
    private static class Mounts
    {
        public static IEnumerable<string> PointsNamed(string source) =>
            File.ReadLines("/proc/self/mountinfo").Where(line => line.Split(" - ").Last().Split(' ').ElementAtOrDefault(1) == source);
    }

    private static async Task<string> TarListingAsync(string archive)
    {
        using var tar = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("tar", ["-t", "-f", archive]) { RedirectStandardOutput = true })!;
        string listing = await tar.StandardOutput.ReadToEndAsync();
        await tar.WaitForExitAsync();
        return listing;
    }
}
