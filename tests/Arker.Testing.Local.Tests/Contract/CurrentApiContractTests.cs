using System.Text;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Contract;

/// <summary>
/// The current API against its contract (docs/contracts/arker-openapi.json): every response of
/// every operation the server serves, and every error it can answer, validated by the contract's own
/// schemas; the rest of the contract answers unsupported_operation.
/// </summary>
public sealed class CurrentApiContractTests(LocalServerFixture fixture)
{
    private const string Vm = "/v1/vms/{id}";
    private const string Runs = "/v1/vms/{id}/runs";
    private const string Run = "/v1/vms/{id}/runs/{run_id}";
    private const string Sessions = "/v1/vms/{id}/sessions";
    private const string Session = "/v1/vms/{id}/sessions/{sid}";
    private const string Sync = "/v1/vms/{id}/sync";

    [Fact]
    public async Task EveryServedOperation_AnswersWhatTheContractSays()
    {
        var api = new ContractCalls(fixture);
        (await api.GetAsync("/v1/health", "/v1/health")).Ok();
        JsonElement regions = (await api.GetAsync("/v1/regions", "/v1/regions")).Ok();
        Assert.Equal(fixture.Server.ApiBaseUrl.ToString(), regions.GetProperty("regions")[0].GetProperty("endpoint").GetString());
        Assert.Equal("org-a", (await api.GetAsync("/v1/whoami", "/v1/whoami")).Ok().GetProperty("org_name").GetString());

        JsonElement forked = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", source_org_name = "ArkerHQ", name = "contract", description = "made by a test" })).Ok();
        string id = forked.GetProperty("vm_id").GetString()!;
        string child = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_id = id })).Ok().GetProperty("vm_id").GetString()!;
        Assert.Equal("arkuntu", (await api.GetAsync(Vm, $"/v1/vms/{child}")).Ok().GetProperty("root_source_vm_name").GetString());
        Assert.Contains((await api.GetAsync("/v1/vms", "/v1/vms?limit=1000")).Ok().GetProperty("vms").EnumerateArray(), v => v.GetProperty("vm_id").GetString() == id);
        Assert.Equal("changed", (await api.PatchAsync(Vm, $"/v1/vms/{id}", new { description = "changed", ssh_public_keys = new[] { "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJ1bm5pbmcgdGVzdHM= you@host" } })).Ok().GetProperty("description").GetString());

        string session = (await api.PostAsync(Sessions, $"/v1/vms/{id}/sessions", new { cwd = "/tmp", env = new { GREETING = "hello there" } })).Ok().GetProperty("session_id").GetString()!;
        JsonElement done = (await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "echo $GREETING from $PWD", session_id = session })).Ok();
        Assert.Equal(("hello there from /tmp\n", 0), (done.GetProperty("stdout").GetString(), done.GetProperty("exit_code").GetInt32()));
        ApiResponse background = await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "sleep 30", time_to_background = 0 });
        Assert.Equal(202, background.Status);
        string runId = background.Body.GetProperty("run_id").GetString()!;
        Assert.Equal("running", (await api.GetAsync(Run, $"/v1/vms/{id}/runs/{runId}")).Ok().GetProperty("state").GetString());
        Assert.True((await api.DeleteAsync(Run, $"/v1/vms/{id}/runs/{runId}")).Ok().GetProperty("cancelled").GetBoolean());
        Assert.Equal("cancelled", (await api.GetAsync(Run, $"/v1/vms/{id}/runs/{runId}")).Ok().GetProperty("state").GetString());
        Assert.Equal(2, (await api.GetAsync(Runs, $"/v1/vms/{id}/runs")).Ok().GetProperty("runs").GetArrayLength());
        Assert.Equal(2, (await api.GetAsync(Sessions, $"/v1/vms/{id}/sessions")).Ok().GetProperty("sessions").GetArrayLength());
        (await api.GetAsync(Session, $"/v1/vms/{id}/sessions/{session}")).Ok();
        (await api.PatchAsync(Session, $"/v1/vms/{id}/sessions/{session}", new { })).Ok();
        Assert.True((await api.DeleteAsync(Session, $"/v1/vms/{id}/sessions/{session}")).Ok().GetProperty("deleted").GetBoolean());

        byte[] content = Encoding.UTF8.GetBytes("first half|second half");
        JsonElement partial = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", Write("/home/user/notes/a.txt", content, 0, 11))).Ok();
        Assert.False(partial.GetProperty("results")[0].GetProperty("written").GetBoolean());
        (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", Write("/home/user/notes/a.txt", content, 11, content.Length))).Ok();
        JsonElement read = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "read", path = "/home/user/notes/a.txt" })).Ok();
        Assert.Equal(content, Convert.FromBase64String(read.GetProperty("content").GetString()!));
        JsonElement upload = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "write", writes = new[] { new { path = "/home/user/big.bin", size = 3, presigned = true } } })).Ok().GetProperty("results")[0];
        using (var put = await fixture.Http.PutAsync(upload.GetProperty("presigned_url").GetString(), new ByteArrayContent([1, 2, 3]), TestContext.Current.CancellationToken))
        {
            put.EnsureSuccessStatusCode();
        }

        (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "write", writes = new[] { new { path = "/home/user/big.bin", size = 3, upload_id = upload.GetProperty("upload_id").GetString() } } })).Ok();
        JsonElement manifest = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "manifest", path = "/home/user" })).Ok();
        Assert.Equal(["big.bin", "notes/a.txt"], manifest.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        Assert.True((await api.DeleteAsync(Vm, $"/v1/vms/{child}")).Ok().GetProperty("deleted").GetBoolean());

        Assert.Empty(api.Problems);
    }

    [Fact]
    public async Task EveryErrorTheServerGives_IsTheContractsEnvelope()
    {
        var api = new ContractCalls(fixture);
        string id = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu" })).Ok().GetProperty("vm_id").GetString()!;
        string unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV_lcl";

        Expect(await new ContractCalls(fixture, apiKey: null).GetAsync("/v1/whoami", "/v1/whoami"), 401, "unauthorized");
        Expect(await new ContractCalls(fixture, "ark_wrong").GetAsync("/v1/vms", "/v1/vms"), 401, "unauthorized");
        Expect(await api.GetAsync(Vm, $"/v1/vms/{unknown}"), 404, "not_found");
        Expect(await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "true", session_id = "ses_gone" }), 404, "not_found");
        Expect(await api.GetAsync(Run, $"/v1/vms/{id}/runs/run_gone"), 404, "not_found");
        Expect(await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "read", path = "/home/user/missing" }), 404, "not_found");
        Expect(await api.PostAsync(Runs, $"/v1/vms/arkuntu/runs", new { command = "true" }), 403, "forbidden");
        Expect(await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "" }), 400, "bad_request");
        Expect(await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "true", timeout = 1e308 }), 400, "bad_request");
        Expect(await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "true", colour = "blue" }), 400, "bad_request");
        Expect(await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "true", background = true, time_to_background = 0 }), 400, "bad_request");
        Expect(await api.SendAsync(HttpMethod.Post, Runs, $"/v1/vms/{id}/runs", Encoding.UTF8.GetBytes("{not json")), 400, "bad_request");
        Expect(await api.SendAsync(HttpMethod.Post, Runs, $"/v1/vms/{id}/runs", [.. "{\"command\":\""u8, 0xC3, 0x28, .. "\"}"u8]), 400, "bad_request");
        Expect(await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", name = new string('n', 100_000) }), 400, "bad_request");
        Expect(await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", dockerfile = "FROM ubuntu" }), 400, "bad_request");
        Expect(await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "read", path = "/proc/version" }), 400, "bad_request");
        JsonElement mismatch = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", Write("/home/user/x", [1, 2], 0, 2, sha256: new string('0', 64)))).Ok();
        Assert.Equal("bad_request", mismatch.GetProperty("results")[0].GetProperty("error").GetProperty("code").GetString()); // a file's failure is in its result
        Expect(await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "write", writes = new[] { new { path = "/home/user/huge", size = 200L * 1024 * 1024, presigned = true } } }), 413, "payload_too_large");
        Expect(await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", image = "ubuntu:24.04" }), 400, "bad_request"); // an image or a source VM, not both
        Expect(await api.PostAsync(Sessions, $"/v1/vms/{id}/sessions", new { pty = true }), 422, "unsupported_operation");
        Expect(await api.SendAsync(HttpMethod.Put, "/v1/vms/{id}/policies", $"/v1/vms/{id}/policies", """{"policies":[{"type":"outbound","match":{"paths":["/v1"]},"action":"allow"}]}"""u8.ToArray()), 422, "unsupported_operation");
        Expect(await api.SendAsync(HttpMethod.Put, "/v1/vms/{id}/policies", $"/v1/vms/{id}/policies", """{"policies":[{"type":"outbound","action":{"gate":{"url":"http://127.0.0.1:1/"}}}]}"""u8.ToArray()), 422, "unsupported_operation");
        Expect(await api.SendAsync(HttpMethod.Put, "/v1/vms/{id}/policies", $"/v1/vms/{id}/policies", """{"policies":[{"type":"sideways","action":"allow"}]}"""u8.ToArray()), 400, "bad_request");
        Expect(await api.SendAsync(HttpMethod.Put, "/v1/vms/{id}/policies", $"/v1/vms/{id}/policies", """{"policies":[{"type":"inbound","match":{"ports":[[8000,8080]]},"action":"allow"}]}"""u8.ToArray()), 400, "bad_request");
        Expect(await api.PostAsync("/v1/vms/{id}/mounts", $"/v1/vms/{id}/mounts", new { }), 422, "unsupported_operation");
        Expect(await api.GetAsync("/v1/filesystems", "/v1/filesystems"), 422, "unsupported_operation");
        Expect(await api.SendAsync(HttpMethod.Put, Runs, $"/v1/vms/{id}/runs", null), 405, "method_not_allowed");

        ApiResponse running = await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "sleep 30", time_to_background = 0 });
        Expect(await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "true" }), 409, "resource_busy");
        await api.DeleteAsync(Run, $"/v1/vms/{id}/runs/{running.Body.GetProperty("run_id").GetString()}");

        Assert.Empty(api.Problems);
    }

    [Fact]
    public async Task APolicy_IsStoredAsGiven_InheritedByForks_AndReplacedByFork()
    {
        var api = new ContractCalls(fixture);
        string id = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu" })).Ok().GetProperty("vm_id").GetString()!;
        byte[] document = """{"policies":[{"type":"outbound","match":{"hosts":["api.test"],"ports":[443,[8000,8100]]},"action":"allow"},{"type":"inbound","match":{"ports":[8080]},"action":"allow","auth":"open"}]}"""u8.ToArray();

        JsonElement empty = (await api.GetAsync("/v1/vms/{id}/policies", $"/v1/vms/{id}/policies")).Ok();
        JsonElement put = (await api.SendAsync(HttpMethod.Put, "/v1/vms/{id}/policies", $"/v1/vms/{id}/policies", document)).Ok();
        string child = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_id = id })).Ok().GetProperty("vm_id").GetString()!;
        string replaced = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_id = id, policies = new { policies = Array.Empty<object>() } })).Ok().GetProperty("vm_id").GetString()!;

        Assert.Equal(0, empty.GetProperty("policies").GetArrayLength());
        Assert.Equal("api.test", put.GetProperty("policies")[0].GetProperty("match").GetProperty("hosts")[0].GetString());
        Assert.Equal(2, (await api.GetAsync("/v1/vms/{id}/policies", $"/v1/vms/{child}/policies")).Ok().GetProperty("policies").GetArrayLength());
        Assert.Equal(0, (await api.GetAsync("/v1/vms/{id}/policies", $"/v1/vms/{replaced}/policies")).Ok().GetProperty("policies").GetArrayLength());
        Assert.Empty(api.Problems);
    }

    [Fact]
    public async Task AnIdempotencyKey_GivesTheSameVmOrRun_AndADifferentRequestIsAConflict()
    {
        var api = new ContractCalls(fixture);
        string key = Guid.NewGuid().ToString("N");

        string first = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", name = "once" }, key)).Ok().GetProperty("vm_id").GetString()!;
        string again = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", name = "once" }, key)).Ok().GetProperty("vm_id").GetString()!;
        ApiResponse other = await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", name = "twice" }, key);
        string runKey = Guid.NewGuid().ToString("N");
        JsonElement run = (await api.PostAsync(Runs, $"/v1/vms/{first}/runs", new { command = "echo x >> ~/count; wc -l < ~/count" }, runKey)).Ok();
        JsonElement replay = (await api.PostAsync(Runs, $"/v1/vms/{first}/runs", new { command = "echo x >> ~/count; wc -l < ~/count" }, runKey)).Ok();
        ApiResponse badKey = await api.PostAsync(Runs, $"/v1/vms/{first}/runs", new { command = "true" }, new string('k', 65));

        Assert.Equal(first, again);
        Expect(other, 409, "conflict"); // fork declares conflict for this; runs declare idempotency_conflict
        Expect(await api.PostAsync(Runs, $"/v1/vms/{first}/runs", new { command = "echo other" }, runKey), 409, "idempotency_conflict");
        Assert.Equal(run.GetProperty("run_id").GetString(), replay.GetProperty("run_id").GetString());
        Assert.Equal("1\n", replay.GetProperty("stdout").GetString()); // the command ran once
        Expect(badKey, 400, "bad_request");
        Assert.Empty(api.Problems);
    }

    [Fact]
    public async Task AForkRepeatedAfterItsVmWasDeleted_IsNotFound_NeverAGhostOrASecondVm()
    {
        var api = new ContractCalls(fixture);
        string key = Guid.NewGuid().ToString("N");
        string first = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", name = "short-lived" }, key)).Ok().GetProperty("vm_id").GetString()!;
        (await api.DeleteAsync(Vm, $"/v1/vms/{first}")).Ok();

        ApiResponse repeated = await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu", name = "short-lived" }, key);

        Expect(repeated, 404, "not_found");
        Assert.Contains("has been deleted", repeated.Body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain((await api.GetAsync("/v1/vms", "/v1/vms?limit=1000")).Ok().GetProperty("vms").EnumerateArray(), v => v.TryGetProperty("name", out JsonElement name) && name.GetString() == "short-lived");
        Assert.Empty(api.Problems);
    }

    [Fact]
    public async Task TheManifestOfADirectoryNotMadeYet_IsEmpty_AndOfAFileIsRefused()
    {
        var api = new ContractCalls(fixture);
        string id = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu" })).Ok().GetProperty("vm_id").GetString()!;
        (await api.PostAsync(Runs, $"/v1/vms/{id}/runs", new { command = "echo x > ~/a-file" })).Ok();

        JsonElement empty = (await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "manifest", path = "/home/user/not-yet/deeper" })).Ok();
        ApiResponse ofAFile = await api.PostAsync(Sync, $"/v1/vms/{id}/sync", new { op = "manifest", path = "/home/user/a-file" });

        Assert.Equal(("/home/user/not-yet/deeper", 0, false), (empty.GetProperty("root").GetString(), empty.GetProperty("entries").GetArrayLength(), empty.GetProperty("truncated").GetBoolean()));
        Expect(ofAFile, 400, "bad_request");
        Assert.Empty(api.Problems);
    }

    [Fact]
    public async Task WhatALocalMachineCannotDo_AnswersUnsupportedOperation_ForEveryOtherOperation()
    {
        var api = new ContractCalls(fixture);
        string id = (await api.PostAsync("/v1/fork", "/v1/fork", new { source_vm_name = "arkuntu" })).Ok().GetProperty("vm_id").GetString()!;

        Expect(await api.GetAsync("/v1/runs", "/v1/runs"), 422, "unsupported_operation");
        Expect(await api.GetAsync("/v1/vms/{id}/sessions/{sid}/pty", $"/v1/vms/{id}/sessions/0/pty"), 422, "unsupported_operation");
        Expect(await api.PostAsync("/v1/vms/{id}/sessions/{sid}/pty-ticket", $"/v1/vms/{id}/sessions/0/pty-ticket", new { }), 422, "unsupported_operation");
        Expect(await api.GetAsync("/v1/vms/{id}/mounts", $"/v1/vms/{id}/mounts"), 422, "unsupported_operation");
        Expect(await api.DeleteAsync("/v1/vms/{id}/mounts/{mount_id}", $"/v1/vms/{id}/mounts/m1"), 422, "unsupported_operation");
        Expect(await api.PostAsync("/v1/filesystems", "/v1/filesystems", new { }), 422, "unsupported_operation");
        Expect(await api.GetAsync("/v1/filesystems/{filesystem_id}", "/v1/filesystems/f1"), 422, "unsupported_operation");
        Expect(await api.DeleteAsync("/v1/filesystems/{filesystem_id}", "/v1/filesystems/f1"), 422, "unsupported_operation");

        var served = new[] { "health", "listRegions", "whoami", "fork", "listVms", "getVm", "patchVm", "deleteVm", "createRun", "listRuns", "getRun", "cancelRun", "listSessions", "createSession", "getSession", "patchSession", "deleteSession", "sync", "getVmPolicies", "putVmPolicies" };
        var refused = new[] { "listOrgRuns", "attachSessionPty", "mintSessionPtyTicket", "createMount", "listMounts", "deleteMount", "listFilesystems", "createFilesystem", "getFilesystem", "deleteFilesystem" };
        Assert.Equal(ContractDocument.OperationIds.Order(), served.Concat(refused).Order()); // the contract has no operation this server ignores
        Assert.Empty(api.Problems);
    }

    private static object Write(string path, byte[] content, int start, int end, string? sha256 = null) =>
        new { op = "write", writes = new[] { new { path, size = content.Length, upload_id = "up-" + path.GetHashCode(StringComparison.Ordinal), content = Convert.ToBase64String(content[start..end]), start, end, sha256 } } };

    private static void Expect(ApiResponse response, int status, string code)
    {
        Assert.True(response.Status == status, $"expected {status} {code}, got {response.Status}: {response.RawBody}");
        Assert.Equal(code, response.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(["error"], response.Body.EnumerateObject().Select(p => p.Name));
    }
}
