using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

public sealed class ForkTests(LocalServerFixture fixture)
{
    private readonly ApiClient _api = fixture.Api;

    [Fact]
    public async Task Fork_ById_ReturnsTheContractFields()
    {
        JsonElement body = (await _api.PostAsync($"/api/v1/vms/{ApiClient.BaseVmId}/fork", new { is_public = false, name = "fork-fields" })).Ok();

        string id = body.GetProperty("vm_id").GetString()!;
        Assert.Matches("^[0-9A-HJKMNP-TV-Z]{26}_[a-z0-9]+$", id);
        Assert.Equal("fork-fields", body.GetProperty("name").GetString());
        Assert.Equal("arkuntu", body.GetProperty("base_image").GetString());
        Assert.Equal("local", body.GetProperty("region").GetString());
        Assert.Equal(ApiClient.BaseVmId, body.GetProperty("parent_vm_id").GetString());
        Assert.False(body.GetProperty("is_public").GetBoolean());
        Assert.True(DateTimeOffset.TryParse(body.GetProperty("created_at").GetString(), out _));
    }

    [Fact]
    public async Task Fork_ByName_ResolvesAliasesAndOwnNames()
    {
        JsonElement fromAlias = (await _api.PostAsync("/api/v1/vms/fork", new { from = "arkuntu", name = "named-parent" })).Ok();
        string parent = fromAlias.GetProperty("vm_id").GetString()!;
        await _api.WriteAsync(parent, "/home/user/marker", "from-parent"u8.ToArray());

        JsonElement fromName = (await _api.PostAsync("/api/v1/vms/fork", new { from = "named-parent" })).Ok();

        Assert.Equal(parent, fromName.GetProperty("parent_vm_id").GetString());
        Assert.Equal("from-parent"u8.ToArray(), await _api.ReadAsync(fromName.GetProperty("vm_id").GetString()!, "/home/user/marker"));
    }

    [Fact]
    public async Task Fork_UnknownNameOrId_IsNotFound()
    {
        (await _api.PostAsync("/api/v1/vms/fork", new { from = "no-such-template" })).Error(404, "not_found");
        (await _api.PostAsync("/api/v1/vms/01ARZ3NDEKTSV4RRFFQ69G5FAV_lcl/fork", new { })).Error(404, "not_found");
    }

    [Fact]
    public async Task Fork_OfDeletedVm_IsNotFound()
    {
        string vm = await _api.ForkAsync();
        (await _api.DeleteAsync($"/api/v1/vms/{vm}")).Ok();

        (await _api.PostAsync($"/api/v1/vms/{vm}/fork", new { })).Error(404, "not_found");
    }

    [Fact]
    public async Task Fork_ChildSeesParentFiles_AndLaterWritesStayApart()
    {
        string parent = await _api.ForkAsync();
        await _api.WriteAsync(parent, "/home/user/shared.txt", "v1"u8.ToArray());
        (await _api.RunAsync(parent, "mkdir -p ~/dir && echo inside > ~/dir/f && rm -f ~/gone; touch ~/gone && rm ~/gone")).Succeeded();

        string child = await _api.ForkAsync(parent);
        await _api.WriteAsync(child, "/home/user/shared.txt", "child"u8.ToArray());
        (await _api.RunAsync(child, "echo child-only > ~/child.txt && rm ~/dir/f")).Succeeded();
        await _api.WriteAsync(parent, "/home/user/parent.txt", "parent-only"u8.ToArray());

        Assert.Equal("v1"u8.ToArray(), await _api.ReadAsync(parent, "/home/user/shared.txt"));
        Assert.Equal("child"u8.ToArray(), await _api.ReadAsync(child, "/home/user/shared.txt"));
        Assert.Equal("inside\n", (await _api.RunAsync(parent, "cat ~/dir/f")).Succeeded().StdoutText);
        Assert.Equal(1, (await _api.RunAsync(child, "test -e ~/dir/f")).ExitCode);
        (await _api.ReadRawAsync(parent, "/home/user/child.txt")).Error(404, "not_found");
        (await _api.ReadRawAsync(child, "/home/user/parent.txt")).Error(404, "not_found");
    }

    [Fact]
    public async Task Fork_CopiesSessionStateButNotProcesses()
    {
        string parent = await _api.ForkAsync();
        (await _api.RunAsync(parent, "mkdir -p ~/work && cd ~/work && export GREETING=hello && (sleep 300 &)", sessionId: "s1")).Succeeded();

        string child = await _api.ForkAsync(parent);
        RunResult inChild = await _api.RunAsync(child, "echo $GREETING; pwd; pgrep -c sleep || true", sessionId: "s1");
        RunResult inParent = await _api.RunAsync(parent, "echo $GREETING; pwd", sessionId: "s1");

        Assert.Equal("hello\n/home/user/work\n0\n", inChild.StdoutText);
        Assert.Equal("/home/user/work", inChild.Cwd);
        Assert.Equal("hello\n/home/user/work\n", inParent.StdoutText);
    }

    [Fact]
    public async Task Fork_StopsAWriterBeforeFreezing_SoTheForkNeverSeesLaterWrites()
    {
        string parent = await _api.ForkAsync();
        (await _api.RunAsync(parent, "(while true; do echo x >> ~/log; done) > /dev/null 2>&1 &", sessionId: "writer")).Succeeded();
        // Written, not only created: ">>" creates the file a moment before echo writes its line.
        await Eventually.UntilAsync(async () => (await _api.RunAsync(parent, "test -s ~/log")).ExitCode == 0, "the writer's first line");

        string child = await _api.ForkAsync(parent);
        string first = (await _api.RunAsync(child, "wc -l < ~/log")).Succeeded().StdoutText;
        await Task.Delay(300, TestContext.Current.CancellationToken); // a window in which a writer that outlived the freeze would write
        string later = (await _api.RunAsync(child, "wc -l < ~/log")).Succeeded().StdoutText;
        RunResult parentLater = await _api.RunAsync(parent, "pgrep -c -f 'while true' || true", sessionId: "writer");

        Assert.True(int.Parse(first, System.Globalization.CultureInfo.InvariantCulture) > 0, "the writer should have written before the fork");
        Assert.Equal(first, later);
        Assert.Equal("0\n", parentLater.StdoutText);
    }

    [Fact]
    public async Task Fork_ManyGenerationsDeep_KeepsEveryFile()
    {
        string vm = await _api.ForkAsync();
        for (int generation = 0; generation < 12; generation++)
        {
            await _api.WriteAsync(vm, $"/home/user/g{generation}", BitConverter.GetBytes(generation));
            vm = await _api.ForkAsync(vm);
        }

        RunResult listing = (await _api.RunAsync(vm, "ls ~ | sort -V | tr '\\n' ' '")).Succeeded();
        Assert.Equal(string.Join(' ', Enumerable.Range(0, 12).Select(i => $"g{i}")) + " ", listing.StdoutText);
    }

    [Fact]
    public async Task Fork_WhileACommandRuns_IsVmBusy()
    {
        string vm = await _api.ForkAsync();
        Task<RunResult> running = _api.RunAsync(vm, "touch ~/started; until [ -e ~/go ]; do sleep 0.05; done");
        await Eventually.UntilFileExistsAsync(_api, vm, "/home/user/started");

        (await _api.PostAsync($"/api/v1/vms/{vm}/fork", new { })).Error(409, "vm_busy");
        await _api.WriteAsync(vm, "/home/user/go", []);
        Assert.Equal(0, (await running).ExitCode);
        await _api.ForkAsync(vm);
    }

    [Fact]
    public async Task Fork_InAnotherRegion_IsUnsupported()
    {
        (await _api.PostAsync($"/api/v1/vms/{ApiClient.BaseVmId}/fork", new { region = "eu-west-1" })).Error(422, "unsupported_region");
    }
}
