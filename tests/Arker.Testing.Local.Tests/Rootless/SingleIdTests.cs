using System.Text.Json;
using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Rootless;

/// <summary>
/// Without root and without subordinate ids (<see cref="OrdinaryUser.SingleIdName"/>, to whom
/// <c>/etc/subuid</c> grants none), the server has one id to give a VM of an image: the VM user
/// owns every file of it and the VM runs; what needs root fails saying why and how to grant the ids.
/// </summary>
public sealed class SingleIdTests
{
    [Fact]
    public async Task A_VM_of_an_image_runs_as_its_user_and_sudo_says_how_to_get_root_inside()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("This run is the rootless one: it makes no accounts.");
        }

        string home = await OrdinaryUser.EnsureSingleIdAccountAsync();
        await using ServerProcess server = await ServerProcess.StartAsync(
            ["--api-key", "single", "--rootfs", await DebianImage.ArchiveAsync(), "--no-base-cache"],
            new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(home, ".cache") }, // the archive is unpacked there once
            asUser: OrdinaryUser.SingleIdName,
            TestContext.Current.CancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var api = new ApiClient(http, new Uri(server.BaseUrl, "/api"), "single");
        string vm = (await api.PostAsync("/v1/fork", new { source_vm_name = "arkuntu" })).Ok().GetProperty("vm_id").GetString()!;

        JsonElement run = (await api.PostAsync($"/v1/vms/{vm}/runs", new { command = "id -u; stat -c %u /etc/passwd /usr/bin/sudo; sudo apt-get install -y hello; echo exit:$?" })).Ok();

        Assert.Equal("1000\n1000\n1000\nexit:1\n", run.GetProperty("stdout").GetString());
        Assert.Equal(
            "sudo: this VM has no root inside: the local Arker server runs without root and has one id for VMs. " +
            $"For sudo, /etc/subuid and /etc/subgid grant {OrdinaryUser.SingleIdName} no range of 65536 ids: grant your user a range of 65536 ids in /etc/subuid and /etc/subgid " +
            $"(sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {OrdinaryUser.SingleIdName}, with a range no other user has), then restart the server; or run it as root.\n",
            run.GetProperty("stderr").GetString());
    }
}
