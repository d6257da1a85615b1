using System.Text;
using Arker.Testing.Local.Tests.Contract;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Files;

/// <summary>
/// The current API's file operations reach every path of the VM (<c>/tmp</c>, <c>/etc</c>, …),
/// resolved inside the VM's root only: the kernel's views, devices and the host's read-only
/// folders are refused with a reason, links never lead out, and the 0.1 API keeps its
/// <c>/home/user</c>.
/// </summary>
public sealed class WholeMachineFileTests(LocalServerFixture fixture)
{
    private const string Sync = "/v1/vms/{id}/sync";
    private const string Runs = "/v1/vms/{id}/runs";

    [Fact]
    public async Task Files_anywhere_in_the_VM_are_written_read_listed_and_seen_by_its_commands()
    {
        var api = new ContractCalls(fixture);
        string id = await ForkAsync(api);

        (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", Write("/tmp/hello.txt", "hello"))).Ok();
        (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", Write("/srv/app/config/app.conf", "port=8080\n"))).Ok();
        JsonElement run = (await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "cat /tmp/hello.txt /srv/app/config/app.conf; echo made > /tmp/by-vm" })).Ok();
        JsonElement read = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "read", path = "/tmp/by-vm" })).Ok();
        JsonElement manifest = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "manifest", path = "/srv" })).Ok();

        Assert.Equal("helloport=8080\n", run.GetProperty("stdout").GetString());
        Assert.Equal("made\n", Encoding.UTF8.GetString(Convert.FromBase64String(read.GetProperty("content").GetString()!)));
        Assert.Equal(["app/config/app.conf"], manifest.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        Assert.Equal("/srv", manifest.GetProperty("root").GetString());
        Assert.Empty(api.Problems);
    }

    [Theory]
    [InlineData("/proc/version", "not the kernel's views or devices")]
    [InlineData("/sys/kernel/hostname", "not the kernel's views or devices")]
    [InlineData("/dev/null", "not the kernel's views or devices")]
    [InlineData("/usr/bin/bash", "/usr is this machine's own, bound read-only into every VM over the host's userland")]
    [InlineData("/bin/bash", "/usr is this machine's own")]
    public async Task What_is_not_the_VMs_own_file_is_refused_saying_why(string path, string reason)
    {
        var api = new ContractCalls(fixture);
        string id = await ForkAsync(api);

        ApiResponse read = await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "read", path });
        ApiResponse write = await api.PostAsync(Sync, $"/v1/vms/{id}/sync", Write(path + ".new", "x"));

        Assert.Equal(400, read.Status);
        Assert.Contains(reason, Message(read), StringComparison.Ordinal);
        Assert.Contains(reason, write.Body.GetProperty("results")[0].GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Links_in_the_VM_are_followed_as_the_VM_follows_them_and_never_lead_out()
    {
        var api = new ContractCalls(fixture);
        string id = await ForkAsync(api);
        (await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "echo vm > /tmp/which; ln -s / ~/everything; ln -s ../../../../../../etc/hostname ~/up; ln -s /proc/self/environ ~/environ" })).Ok();

        JsonElement throughRoot = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "read", path = "/home/user/everything/tmp/which" })).Ok();
        JsonElement climbing = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "read", path = "/home/user/up" })).Ok();
        ApiResponse intoTheKernel = await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "read", path = "/home/user/environ" });

        Assert.Equal("vm\n", Text(throughRoot));
        Assert.Equal("arker\n", Text(climbing)); // the VM's /etc/hostname, not this machine's
        Assert.Equal(400, intoTheKernel.Status);
        Assert.Contains("not the kernel's views", Message(intoTheKernel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_0_1_API_keeps_its_home()
    {
        var api = new ApiClient(fixture.Http, fixture.Server.V01BaseUrl, LocalServerFixture.KeyA);
        string vm = await api.ForkAsync();

        (await api.ReadRawAsync(vm, "/tmp/anything")).Error(400, "bad_request");
    }

    private static async Task<string> ForkAsync(ContractCalls api) =>
        (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu" })).Ok().GetProperty("vm_id").GetString()!;

    private static object Write(string path, string text)
    {
        byte[] content = Encoding.UTF8.GetBytes(text);
        return new { op = "write", writes = new[] { new { path, size = content.Length, upload_id = "up-" + Guid.NewGuid().ToString("N"), content = Convert.ToBase64String(content), start = 0, end = content.Length } } };
    }

    private static string Message(ApiResponse response) => response.Body.GetProperty("error").GetProperty("message").GetString()!;

    private static string Text(JsonElement read) => Encoding.UTF8.GetString(Convert.FromBase64String(read.GetProperty("content").GetString()!));
}
