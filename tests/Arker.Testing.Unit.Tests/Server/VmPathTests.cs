using Arker.Testing.Local;
using Arker.Testing.Local.Files;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>The file API's path policy: the 0.1 API's home, the current API's whole machine but what is not the VM's own.</summary>
public sealed class VmPathTests
{
    private static readonly VmPath WholeMachine = VmPath.WholeMachine(["/usr", "/lib64"]);

    [Theory]
    [InlineData("/tmp/hello.txt", new[] { "tmp", "hello.txt" })]
    [InlineData("/etc/app/./app.conf", new[] { "etc", "app", "app.conf" })]
    [InlineData("//srv//data", new[] { "srv", "data" })]
    [InlineData("/home/user/notes.txt", new[] { "home", "user", "notes.txt" })]
    public void The_whole_machine_takes_any_absolute_path_as_segments_from_the_root(string path, string[] segments) =>
        Assert.Equal(segments, WholeMachine.Parse(path));

    [Theory]
    [InlineData("/proc/version", "not the kernel's views or devices")]
    [InlineData("/sys", "not the kernel's views or devices")]
    [InlineData("/dev/null", "not the kernel's views or devices")]
    [InlineData("/usr/bin/bash", "/usr is this machine's own, bound read-only into every VM over the host's userland")]
    [InlineData("/lib64/ld.so", "/lib64 is this machine's own")]
    [InlineData("tmp/relative", "path must be absolute (got 'tmp/relative')")]
    [InlineData("/tmp/../etc/passwd", "must not contain a '..' segment")]
    [InlineData("/", "path must name a file (got '/')")]
    public void What_is_not_the_VMs_own_file_or_not_a_path_is_refused_saying_why(string path, string message) =>
        Assert.Contains(message, Assert.Throws<LocalArkerException>(() => WholeMachine.Parse(path)).Message, StringComparison.Ordinal);

    [Fact]
    public void Folders_named_like_a_refused_one_are_not_refused() =>
        Assert.Equal(["usr-local", "x"], WholeMachine.Parse("/usr-local/x"));

    [Theory]
    [InlineData("/tmp/hello.txt", "path must be absolute and under /home/user/ (got '/tmp/hello.txt')")]
    [InlineData("/home/user", "path must name a file under /home/user/ (got '/home/user')")]
    [InlineData("/home/username/x", "path must be absolute and under /home/user/")]
    public void The_0_1_API_reaches_its_home_only(string path, string message) =>
        Assert.Contains(message, Assert.Throws<LocalArkerException>(() => VmPath.Home.Parse(path)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_directory_may_be_the_areas_base_itself()
    {
        Assert.Equal(["home", "user"], VmPath.Home.ParseDirectory("/home/user"));
        Assert.Empty(WholeMachine.ParseDirectory("/"));
    }

    [Fact]
    public void Where_a_path_really_leads_is_checked_as_a_link_followed_out()
    {
        LocalArkerException outOfHome = Assert.Throws<LocalArkerException>(() => VmPath.Home.EnsureAllowed("/etc/passwd", "/home/user/link", resolved: true));
        LocalArkerException intoProc = Assert.Throws<LocalArkerException>(() => WholeMachine.EnsureAllowed("/proc/self/environ", "/home/user/environ", resolved: true));

        Assert.Equal("/home/user/link resolves (through a symbolic link) outside /home/user/, which the file API does not reach", outOfHome.Message);
        Assert.StartsWith("/home/user/environ: the file API reaches the VM's own files", intoProc.Message, StringComparison.Ordinal);
        WholeMachine.EnsureAllowed("/etc/passwd", "/home/user/link", resolved: true);
    }
}
