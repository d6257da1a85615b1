using System.Security.Cryptography;
using System.Text;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Files;

public sealed class FileTests(LocalServerFixture fixture)
{
    private readonly ApiClient _api = fixture.Api;

    [Fact]
    public async Task Write_Inline_CreatesParentsOwnedByTheVmUser()
    {
        string vm = await _api.ForkAsync();

        await _api.WriteAsync(vm, "/home/user/deep/er/data.csv", "a,b\n1,2\n"u8.ToArray());

        RunResult stat = (await _api.RunAsync(vm, "stat -c '%u:%g %a %n' ~/deep ~/deep/er ~/deep/er/data.csv; cat ~/deep/er/data.csv")).Succeeded();
        Assert.Equal("1000:1000 755 /home/user/deep\n1000:1000 755 /home/user/deep/er\n1000:1000 644 /home/user/deep/er/data.csv\na,b\n1,2\n", stat.StdoutText);
    }

    [Fact]
    public async Task Read_Utf8IsText_OtherBytesAreBase64()
    {
        string vm = await _api.ForkAsync();
        await _api.WriteAsync(vm, "/home/user/text.txt", Encoding.UTF8.GetBytes("héllo"));
        await _api.WriteAsync(vm, "/home/user/bin.dat", [0xff, 0x00, 0xfe]);

        JsonElement text = (await _api.ReadRawAsync(vm, "/home/user/text.txt")).Ok();
        JsonElement binary = (await _api.ReadRawAsync(vm, "/home/user/bin.dat")).Ok();

        Assert.Equal(("héllo", "utf-8", 6), (text.GetProperty("content").GetString(), text.GetProperty("encoding").GetString(), text.GetProperty("size").GetInt32()));
        Assert.Equal(("/wD+", "base64"), (binary.GetProperty("content").GetString(), binary.GetProperty("encoding").GetString()));
        Assert.Equal("read", binary.GetProperty("op").GetString());
    }

    [Fact]
    public async Task Write_EmptyFile_CreatesAnEmptyFile()
    {
        string vm = await _api.ForkAsync();

        await _api.WriteAsync(vm, "/home/user/empty", []);

        Assert.Empty(await _api.ReadAsync(vm, "/home/user/empty"));
        Assert.Equal("0\n", (await _api.RunAsync(vm, "stat -c %s ~/empty")).Succeeded().StdoutText);
    }

    [Fact]
    public async Task Write_AllByteValuesAndUnicodePath_RoundTrip()
    {
        string vm = await _api.ForkAsync();
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        const string Path = "/home/user/dïr with spaces/ファイル 🚀.bin";

        await _api.WriteAsync(vm, Path, all);

        Assert.Equal(all, await _api.ReadAsync(vm, Path));
        Assert.Equal("256\n", (await _api.RunAsync(vm, $"stat -c %s '{Path}'")).Succeeded().StdoutText);
    }

    [Fact]
    public async Task Write_SameUploadIdAgain_IsIdempotent()
    {
        string vm = await _api.ForkAsync();
        object entry = ApiClient.InlineEntry("/home/user/once.txt", "first"u8.ToArray(), uploadId: "01J0000000000000000000UPLD");
        (await _api.WriteRawAsync(vm, entry)).Ok();
        await _api.WriteAsync(vm, "/home/user/once.txt", "changed later"u8.ToArray());

        JsonElement retried = (await _api.WriteRawAsync(vm, entry)).Ok().GetProperty("results")[0];

        Assert.True(retried.GetProperty("complete").GetBoolean());
        Assert.Equal("changed later"u8.ToArray(), await _api.ReadAsync(vm, "/home/user/once.txt"));
    }

    [Fact]
    public async Task Write_InChunks_AssemblesTheFileOnlyWhenComplete()
    {
        string vm = await _api.ForkAsync();
        byte[] content = RandomNumberGenerator.GetBytes(10_000);
        const string Id = "chunked-upload-1";

        JsonElement first = (await _api.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/chunked", content[..6000], Id, 0, 6000, content.Length))).Ok().GetProperty("results")[0];
        (await _api.ReadRawAsync(vm, "/home/user/chunked")).Error(404, "not_found");
        JsonElement repeat = (await _api.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/chunked", content[4000..6000], Id, 4000, 6000, content.Length))).Ok().GetProperty("results")[0];
        JsonElement last = (await _api.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/chunked", content[5000..], Id, 5000, 10_000, content.Length))).Ok().GetProperty("results")[0];

        Assert.False(first.GetProperty("complete").GetBoolean());
        Assert.False(repeat.GetProperty("complete").GetBoolean());
        Assert.True(last.GetProperty("complete").GetBoolean() && last.GetProperty("written").GetBoolean());
        Assert.Equal(content, await _api.ReadAsync(vm, "/home/user/chunked"));
    }

    [Fact]
    public async Task Write_OverlappingChunkWithDifferentBytes_IsAPerEntryConflict()
    {
        string vm = await _api.ForkAsync();
        const string Id = "conflicting-upload";
        (await _api.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/c", "aaaa"u8.ToArray(), Id, 0, 4, 8))).Ok();

        JsonElement result = (await _api.WriteRawAsync(vm, ApiClient.InlineEntry("/home/user/c", "bbbb"u8.ToArray(), Id, 2, 6, 8))).Ok().GetProperty("results")[0];

        Assert.Equal("conflict", result.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Write_SeveralEntries_OneResultEachInOrder_FailuresStayPerEntry()
    {
        string vm = await _api.ForkAsync();

        JsonElement results = (await _api.WriteRawAsync(vm,
            ApiClient.InlineEntry("/home/user/one", "1"u8.ToArray()),
            ApiClient.InlineEntry("/etc/passwd", "x"u8.ToArray()),
            ApiClient.InlineEntry("/home/user/three", "3"u8.ToArray()))).Ok().GetProperty("results");

        Assert.Equal(3, results.GetArrayLength());
        Assert.True(results[0].GetProperty("written").GetBoolean());
        Assert.Equal("bad_request", results[1].GetProperty("error").GetProperty("code").GetString());
        Assert.True(results[2].GetProperty("written").GetBoolean());
    }

    [Fact]
    public async Task Write_ContentLengthDisagreesWithRange_IsBadRequest()
    {
        string vm = await _api.ForkAsync();

        JsonElement result = (await _api.WriteRawAsync(vm, new { path = "/home/user/x", size = 5, upload_id = "u", start = 0, end = 5, content = "YQ==" })).Ok().GetProperty("results")[0];

        Assert.Equal("bad_request", result.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Write_LargerThan100MiB_IsPayloadTooLarge()
    {
        string vm = await _api.ForkAsync();

        (await _api.WriteRawAsync(vm, new { path = "/home/user/huge", size = (100L * 1024 * 1024) + 1, presigned = true })).Error(413, "payload_too_large");
    }

    [Fact]
    public async Task Read_MissingFile_IsNotFoundWithThePath()
    {
        string vm = await _api.ForkAsync();

        ApiResponse response = (await _api.ReadRawAsync(vm, "/home/user/missing.txt")).Error(404, "not_found");

        Assert.Equal("file not found: /home/user/missing.txt", response.ErrorMessage);
    }

    [Fact]
    public async Task Read_Directory_IsBadRequest()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "mkdir ~/d")).Succeeded();

        (await _api.ReadRawAsync(vm, "/home/user/d")).Error(400, "bad_request");
    }

    [Fact]
    public async Task Read_FifoPlantedByTheVm_IsRefusedWithoutHanging()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "mkfifo ~/pipe")).Succeeded();

        (await _api.ReadRawAsync(vm, "/home/user/pipe")).Error(400, "bad_request");
    }

    [Fact]
    public async Task Write_OverADirectory_IsBadRequest_AndUnderAFile_IsBadRequest()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "mkdir ~/dir && echo x > ~/file")).Succeeded();

        JsonElement results = (await _api.WriteRawAsync(vm,
            ApiClient.InlineEntry("/home/user/dir", "x"u8.ToArray()),
            ApiClient.InlineEntry("/home/user/file/child", "x"u8.ToArray()))).Ok().GetProperty("results");

        Assert.Equal("bad_request", results[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("bad_request", results[1].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("", (await _api.RunAsync(vm, "ls -A ~/dir")).Succeeded().StdoutText);
    }

    [Fact]
    public async Task Write_ReplacesAtomically_NoTemporaryFileIsLeft()
    {
        string vm = await _api.ForkAsync();
        await _api.WriteAsync(vm, "/home/user/f", "old"u8.ToArray());

        await _api.WriteAsync(vm, "/home/user/f", "new"u8.ToArray());

        Assert.Equal("f\n", (await _api.RunAsync(vm, "ls -A ~")).Succeeded().StdoutText);
        Assert.Equal("new"u8.ToArray(), await _api.ReadAsync(vm, "/home/user/f"));
    }
}
