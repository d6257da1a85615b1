using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Security.Cryptography;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Files;

public sealed class PresignedTransferTests(LocalServerFixture fixture)
{
    private readonly ApiClient _api = fixture.Api;

    [Theory]
    [InlineData(20 * 1024 * 1024)]
    [InlineData(100 * 1024 * 1024)]
    public async Task LargeFile_UploadsAndDownloadsThroughPresignedUrls(int size)
    {
        string vm = await _api.ForkAsync();
        byte[] content = RandomNumberGenerator.GetBytes(size);

        await UploadAsync(vm, "/home/user/big.bin", content);
        JsonElement read = (await _api.ReadRawAsync(vm, "/home/user/big.bin")).Ok();
        byte[] downloaded = await _api.Http.GetByteArrayAsync(read.GetProperty("presigned_url").GetString(), TestContext.Current.CancellationToken);

        Assert.Equal("GET", read.GetProperty("method").GetString());
        Assert.Equal(size, read.GetProperty("size").GetInt64());
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(downloaded));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)) + "\n", (await _api.RunAsync(vm, "sha256sum ~/big.bin | cut -d' ' -f1")).Succeeded().StdoutText);
    }

    [Fact]
    public async Task Commit_BeforeTheBytesArrive_IsBadRequest_AndNoFileAppears()
    {
        string vm = await _api.ForkAsync();
        JsonElement start = (await _api.WriteRawAsync(vm, new { path = "/home/user/p.bin", size = 100, presigned = true })).Ok().GetProperty("results")[0];
        string uploadId = start.GetProperty("upload_id").GetString()!;
        using var partial = await _api.Http.PutAsync(start.GetProperty("presigned_url").GetString(), new ByteArrayContent(new byte[60]), TestContext.Current.CancellationToken);

        JsonElement commit = (await _api.WriteRawAsync(vm, new { path = "/home/user/p.bin", size = 100, upload_id = uploadId })).Ok().GetProperty("results")[0];

        Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
        Assert.Equal("bad_request", commit.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("60 bytes", commit.GetProperty("error").GetProperty("message").GetString());
        (await _api.ReadRawAsync(vm, "/home/user/p.bin")).Error(404, "not_found");
    }

    [Fact]
    public async Task UploadedBytes_AreInvisibleInTheVm_UntilTheCommit_ThenOwnedByTheVmUser()
    {
        string vm = await _api.ForkAsync();
        string before = (await _api.RunAsync(vm, "ls -A ~")).Succeeded().StdoutText;
        byte[] content = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        (string uploadId, string url) = await StartAsync(vm, "/home/user/dir/up.bin", content.Length);
        using (var put = await _api.Http.PutAsync(url, new ByteArrayContent(content), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        string between = (await _api.RunAsync(vm, "ls -A ~")).Succeeded().StdoutText;
        await CommitAsync(vm, "/home/user/dir/up.bin", content.Length, uploadId);

        Assert.Equal(before, between);
        Assert.Equal($"user 644 1 {content.Length}\n", (await _api.RunAsync(vm, "stat -c '%U %a %h %s' ~/dir/up.bin")).Succeeded().StdoutText);
        Assert.Equal("up.bin\n", (await _api.RunAsync(vm, "ls -A ~/dir")).Succeeded().StdoutText);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await _api.ReadAsync(vm, "/home/user/dir/up.bin")));
    }

    [Fact]
    public async Task Commit_AfterTheVmWasForked_LandsInTheVm_AndNotInTheFork()
    {
        string vm = await _api.ForkAsync();
        await _api.WriteAsync(vm, "/home/user/changed", "so the fork freezes a layer"u8.ToArray());
        byte[] content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        (string uploadId, string url) = await StartAsync(vm, "/home/user/late.bin", content.Length);
        using (var put = await _api.Http.PutAsync(url, new ByteArrayContent(content), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        string fork = await _api.ForkAsync(vm);
        await CommitAsync(vm, "/home/user/late.bin", content.Length, uploadId);

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await _api.ReadAsync(vm, "/home/user/late.bin")));
        (await _api.ReadRawAsync(fork, "/home/user/late.bin")).Error(404, "not_found");
    }

    [Fact]
    public async Task Put_MoreBytesThanDeclared_IsPayloadTooLarge()
    {
        string vm = await _api.ForkAsync();
        JsonElement start = (await _api.WriteRawAsync(vm, new { path = "/home/user/p.bin", size = 10, presigned = true })).Ok().GetProperty("results")[0];

        using var response = await _api.Http.PutAsync(start.GetProperty("presigned_url").GetString(), new ByteArrayContent(new byte[11]), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task TamperedUrl_IsForbidden()
    {
        string vm = await _api.ForkAsync();
        await UploadAsync(vm, "/home/user/secret.bin", RandomNumberGenerator.GetBytes(17 * 1024 * 1024));
        string url = (await _api.ReadRawAsync(vm, "/home/user/secret.bin")).Ok().GetProperty("presigned_url").GetString()!;
        string otherPath = url.Replace("secret.bin", "other.bin", StringComparison.Ordinal);
        string otherSignature = url[..^4] + (url.EndsWith("0000", StringComparison.Ordinal) ? "1111" : "0000");

        foreach (string tampered in new[] { otherPath, otherSignature })
        {
            using HttpResponseMessage response = await _api.Http.GetAsync(tampered, TestContext.Current.CancellationToken);
            string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("signature does not match", body);
        }
    }

    [Fact]
    public async Task ExpiredUrl_IsForbidden()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { PresignedUrlLifetime = TimeSpan.FromMinutes(15), TimeProvider = clock }, TestContext.Current.CancellationToken);
        var api = new ApiClient(_api.Http, server.V01BaseUrl, server.ApiKey);
        string vm = await api.ForkAsync();
        JsonElement start = (await api.WriteRawAsync(vm, new { path = "/home/user/late.bin", size = 4, presigned = true })).Ok().GetProperty("results")[0];
        clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));

        using var response = await api.Http.PutAsync(start.GetProperty("presigned_url").GetString(), new ByteArrayContent(new byte[4]), TestContext.Current.CancellationToken);
        string body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("expired", body);
    }

    private async Task UploadAsync(string vm, string path, byte[] content)
    {
        (string uploadId, string url) = await StartAsync(vm, path, content.Length);
        using (var put = await _api.Http.PutAsync(url, new ByteArrayContent(content), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await CommitAsync(vm, path, content.Length, uploadId);
    }

    private async Task<(string UploadId, string Url)> StartAsync(string vm, string path, int size)
    {
        JsonElement start = (await _api.WriteRawAsync(vm, new { path, size, presigned = true })).Ok().GetProperty("results")[0];
        Assert.Equal("PUT", start.GetProperty("method").GetString());
        Assert.Equal(900, start.GetProperty("expires_in").GetInt32());
        return (start.GetProperty("upload_id").GetString()!, start.GetProperty("presigned_url").GetString()!);
    }

    private async Task CommitAsync(string vm, string path, int size, string uploadId)
    {
        JsonElement commit = (await _api.WriteRawAsync(vm, new { path, size, upload_id = uploadId })).Ok().GetProperty("results")[0];
        Assert.True(commit.GetProperty("complete").GetBoolean() && commit.GetProperty("written").GetBoolean(), commit.GetRawText());
    }
}
