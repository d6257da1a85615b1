using System.Diagnostics;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.RootInside;

/// <summary>
/// A VM of an image with no sudo of its own (as the official Debian and Ubuntu images are): the
/// server's stand-in runs commands as root, or as another user, through the image's su, which the
/// VM user alone may use without a password; templates written for the service work unchanged.
/// </summary>
public sealed class SudoStandInTests(DebianServerFixture debian) : IClassFixture<DebianServerFixture>, IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("arker-no-sudo-").FullName;
    private string _image = "";

    public async ValueTask InitializeAsync()
    {
        // The tests' Debian image with sudo deleted in a layer above (a whiteout), in a layout of this test's own.
        string layout = Path.Combine(_work, "layout");
        string source = (await DebianImage.LayoutReferenceAsync())["oci:".Length..^":debian".Length];
        await RunAsync("cp", "-a", source, layout);
        string bundle = Path.Combine(_work, "bundle");
        await RunAsync(AsRoot("umoci", "unpack", "--image", layout + ":debian", bundle));
        foreach (string file in new[] { "usr/bin/sudo", "usr/bin/sudoedit", "usr/bin/sudoreplay" })
        {
            await RunAsync(AsRoot("rm", Path.Combine(bundle, "rootfs", file)));
        }

        await RunAsync(AsRoot("umoci", "repack", "--image", layout + ":nosudo", bundle));
        _image = $"oci:{layout}:nosudo";
    }

    [Fact]
    public async Task Sudo_runs_as_root_or_another_user_with_sudos_everyday_options_and_exit_codes()
    {
        string vm = await ForkAsync();

        var (stdout, stderr, exitCode) = await debian.RunAsync(vm,
            "test -e /usr/bin/sudo && echo has-sudo; command -v sudo; sudo id -u; sudo -u nobody id -un; sudo DEBIAN_FRONTEND=noninteractive sh -c 'echo $DEBIAN_FRONTEND'; " +
            "sudo sh -c 'exit 7'; echo exit:$?; echo in | sudo tee /etc/made >/dev/null; stat -c %U /etc/made; sudo -n true && echo quiet; sudo -x true; echo refused:$?");

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("/usr/local/bin/sudo\n0\nnobody\nnoninteractive\nexit:7\nroot\nquiet\nrefused:1\n", stdout);
        Assert.Contains("sudo: -x is not supported by this VM's sudo", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_VM_user_may_use_su_without_a_password()
    {
        string vm = await ForkAsync();

        var (stdout, _, _) = await debian.RunAsync(vm, "sudo -u nobody su -s /bin/sh -c id root </dev/null 2>&1; echo exit:$?");

        Assert.Contains("Authentication failure", stdout, StringComparison.Ordinal);
        Assert.EndsWith("exit:1\n", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_written_for_the_service_installs_packages_unchanged()
    {
        string vm = await ForkAsync();
        await debian.AllowRepositoryAsync(vm);

        var (stdout, stderr, exitCode) = await debian.RunAsync(vm,
            $"{debian.Repository.UseAsOnlySource} && sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hello >/dev/null && hello", timeout: 300);

        Assert.True(exitCode == 0, $"{stdout}\n{stderr}");
        Assert.Equal("Hello, world!\n", stdout);
    }

    public ValueTask DisposeAsync()
    {
        Storage.FolderRemoval.Delete(_work);
        return ValueTask.CompletedTask;
    }

    private async Task<string> ForkAsync() =>
        (await debian.Api.PostAsync("/v1/fork", new { image = _image })).Ok().GetProperty("vm_id").GetString()!;

    /// <summary>
    /// A command run as root, to keep the image's owners: without root, as root of a user namespace
    /// with the user's subordinate ids, as the server unpacks images.
    /// </summary>
    private static string[] AsRoot(params string[] command) =>
        Environment.IsPrivilegedProcess ? command
        : ["unshare", "--user", "--map-root-user", .. Isolation.SubordinateIds.Current?.UnshareOptions ?? throw new InvalidOperationException(Isolation.SubordinateIds.Missing), "--", .. command];

    private static Task RunAsync(string[] command) => RunAsync(command[0], command[1..]);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        _ = process.StandardOutput.ReadToEndAsync();
        string errors = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {errors}");
    }
}
