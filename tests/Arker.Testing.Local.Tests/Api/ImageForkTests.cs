using Arker.Testing.TestSupport;
using System.Text;
using Arker.Testing.Local.Tests.Contract;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

/// <summary>
/// The contract's fork from an <c>image</c> on a server over the host's userland: the VM is the
/// image's (its <c>/usr</c> its own, nothing of this machine bound in), and so are its forks; VMs
/// forked from the host base keep the host's. An image that cannot be had is not found, saying why.
/// </summary>
public sealed class ImageForkTests(LocalServerFixture fixture)
{
    private const string Runs = "/v1/vms/{id}/runs";
    private const string Sync = "/v1/vms/{id}/sync";

    [Fact]
    public async Task A_fork_from_an_image_is_the_images_machine_and_so_are_its_forks()
    {
        string work = Directory.CreateTempSubdirectory("arker-image-fork-").FullName;
        try
        {
            string layout = await TestImages.MakeAsync(work);
            var api = new ContractCalls(fixture);

            string vm = (await api.PostAsync("/v1/fork", "/v1/fork", new { image = $"oci:{layout}:v1" })).Ok().GetProperty("vm_id").GetString()!;
            string again = (await api.PostAsync("/v1/fork", "/v1/fork", new { image = $"oci:{layout}:v1" })).Ok().GetProperty("vm_id").GetString()!;
            JsonElement inImage = (await api.PostAsync(Runs, $"/v1/vms/{vm}/runs", new { command = "read -r line < /usr/share/marker; echo \"$line\"; test -e /usr/share/deleted-above && echo present || echo deleted; test -e /usr/bin/python3 && echo host-usr || echo own-usr; echo $UID > ~/made-here" })).Ok();
            JsonElement read = (await api.PostAsync(Sync, $"/v1/vms/{vm}/sync", new { op = "read", path = "/usr/share/marker" })).Ok();
            string child = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_id = vm })).Ok().GetProperty("vm_id").GetString()!;
            JsonElement inChild = (await api.PostAsync(Runs, $"/v1/vms/{child}/runs", new { command = "cat ~/made-here 2>/dev/null || read -r line < ~/made-here; echo \"${line:-}\"; test -e /usr/bin/python3 && echo host-usr || echo own-usr" })).Ok();
            string host = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu" })).Ok().GetProperty("vm_id").GetString()!;
            JsonElement onHost = (await api.PostAsync(Runs, $"/v1/vms/{host}/runs", new { command = "test -e /usr/bin/python3 && echo host-usr || echo own-usr" })).Ok();

            Assert.NotEqual(vm, again);
            Assert.Equal("from the image\ndeleted\nown-usr\n", inImage.GetProperty("stdout").GetString());
            Assert.Equal("from the image\n", Encoding.UTF8.GetString(Convert.FromBase64String(read.GetProperty("content").GetString()!)));
            Assert.EndsWith("1000\nown-usr\n", inChild.GetProperty("stdout").GetString(), StringComparison.Ordinal);
            Assert.Equal("host-usr\n", onHost.GetProperty("stdout").GetString());
            Assert.Empty(api.Problems);
        }
        finally
        {
            Arker.Testing.Local.Storage.FolderRemoval.Delete(work);
        }
    }

    [Fact]
    public void The_server_says_whether_VMs_of_an_image_have_root_inside()
    {
        string isolation = fixture.Server.Isolation;

        Assert.Contains(
            !ServerMounts.Rootless ? "VMs of an image or a root filesystem archive: root inside (sudo; ids 0-65535 an unused range outside"
            : Isolation.SubordinateIds.Current is { } ids ? $"VMs of an image or a root filesystem archive: root inside (sudo; their other ids your subordinate ids from {ids.FirstUserId}"
            : $"VMs of an image: no root inside (sudo in them fails; {Isolation.SubordinateIds.Missing}",
            isolation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fork_from_an_image_that_cannot_be_had_is_not_found_saying_what_was_tried()
    {
        var api = new ContractCalls(fixture);

        ApiResponse missing = await api.PostAsync("/v1/fork", "/v1/fork", new { image = "oci:/nonexistent/layout:v1" });

        Assert.Equal(404, missing.Status);
        string message = missing.Body.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("The image 'oci:/nonexistent/layout:v1' could not be fetched", message, StringComparison.Ordinal);
        Assert.Contains("registries.conf", message, StringComparison.Ordinal);
    }
}
