using System.Security.Cryptography;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Client;

/// <summary>Runs on both API generations: see the two classes at the end.</summary>
public abstract class ComputerSyncTests(LocalServer local, ArkerProtocol protocol)
{
    private readonly ArkerClient _arker = local.ClientFor(protocol);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4 * 1024 * 1024)]
    [InlineData((4 * 1024 * 1024) + 1)]
    [InlineData(100_000_000)]
    public async Task WriteAndRead_RoundTripEverySize(int size)
    {
        Computer vm = await NewVmAsync();
        byte[] content = RandomNumberGenerator.GetBytes(size);

        await vm.Sync.WriteFileAsync("/home/user/blob.bin", content, Cancellation);
        byte[] back = await vm.Sync.ReadFileAsync("/home/user/blob.bin", Cancellation);

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(back));
        Assert.Equal($"{size}\n", (await vm.RunAsync("stat -c %s ~/blob.bin", Cancellation)).StdoutText);
    }

    [Fact]
    public async Task LocalFile_UploadsAndDownloads_StreamingBothWays()
    {
        Computer vm = await NewVmAsync();
        string source = Path.GetTempFileName();
        string target = Path.Combine(Path.GetTempPath(), "arker-download-" + Guid.NewGuid().ToString("N"));
        try
        {
            byte[] content = RandomNumberGenerator.GetBytes(30 * 1024 * 1024);
            await File.WriteAllBytesAsync(source, content, Cancellation);

            await vm.Sync.UploadFileAsync(source, "/home/user/up.bin", Cancellation);
            await vm.Sync.DownloadFileAsync("/home/user/up.bin", target, Cancellation);

            Assert.Equal(SHA256.HashData(content), SHA256.HashData(await File.ReadAllBytesAsync(target, Cancellation)));
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $".{Path.GetFileName(target)}.*"));
        }
        finally
        {
            File.Delete(source);
            File.Delete(target);
        }
    }

    [Fact]
    public async Task Streams_NonSeekableAndSeekable_WriteWhatRemains()
    {
        Computer vm = await NewVmAsync();
        byte[] content = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        using var seekable = new MemoryStream(content) { Position = 1000 };
        using var pipe = new NonSeekableStream(new MemoryStream(content));

        await vm.Sync.WriteFileAsync("/home/user/from-position", seekable, Cancellation);
        await vm.Sync.WriteFileAsync("/home/user/from-pipe", pipe, Cancellation);
        using var read = new MemoryStream();
        await vm.Sync.ReadFileAsync("/home/user/from-pipe", read, Cancellation);

        Assert.Equal(content[1000..], await vm.Sync.ReadFileAsync("/home/user/from-position", Cancellation));
        Assert.Equal(content, read.ToArray());
    }

    [Fact]
    public async Task TextAndUnicodePaths_RoundTrip()
    {
        Computer vm = await NewVmAsync();
        const string Path = "/home/user/dïr/ファイル 🚀.txt";

        await vm.Sync.WriteFileAsync(Path, "héllo wörld\n", Cancellation);

        Assert.Equal("héllo wörld\n", await vm.Sync.ReadFileTextAsync(Path, Cancellation));
        Assert.Equal("héllo wörld\n", (await vm.RunAsync($"cat '{Path}'", Cancellation)).StdoutText);
    }

    [Fact]
    public async Task AllByteValues_RoundTripThroughFiles()
    {
        Computer vm = await NewVmAsync();
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        await vm.Sync.WriteFileAsync("/home/user/all", all, Cancellation);

        Assert.Equal(all, await vm.Sync.ReadFileAsync("/home/user/all", Cancellation));
    }

    [Fact]
    public async Task WriteFileAsync_WhereTheApiDoesNotReach_IsABadRequest400_WithItsOwnStatus_NotTheBatchs200()
    {
        Computer vm = await NewVmAsync();

        // The 0.1 API reaches /home/user only; the current API the whole VM but the kernel's views.
        (string path, string said) = protocol == ArkerProtocol.V01 ? ("/tmp/hello.txt", "/home/user") : ("/proc/hello.txt", "not the kernel's views");
        var error = await Assert.ThrowsAsync<ArkerException>(() => vm.Sync.WriteFileAsync(path, "hello", Cancellation));

        Assert.Equal(("bad_request", 400), (error.Code, error.Status));
        Assert.Contains(said, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadFileAsync_MissingFile_IsNotFound404()
    {
        Computer vm = await NewVmAsync();

        var error = await Assert.ThrowsAsync<ArkerException>(() => vm.Sync.ReadFileAsync("/home/user/missing.txt", Cancellation));

        Assert.Equal(("not_found", 404), (error.Code, error.Status));
        Assert.Contains("/home/user/missing.txt", error.Message);
    }

    [Fact]
    public async Task Files_OutsideTheHome_AreTheVms_OnTheCurrentApi_AndRefused_OnApi01()
    {
        Computer vm = await NewVmAsync();

        if (protocol == ArkerProtocol.V01)
        {
            var error = await Assert.ThrowsAsync<ArkerException>(() => vm.Sync.WriteFileAsync("/etc/app.conf", "x", Cancellation));
            Assert.Equal("bad_request", error.Code);
            return;
        }

        await vm.Sync.WriteFileAsync("/tmp/hello.txt", "hello from the test", Cancellation);
        await vm.Sync.WriteFileAsync("/etc/app/app.conf", "port=8080\n", Cancellation);
        RunResult seen = await vm.RunAsync("cat /tmp/hello.txt; echo; cat /etc/app/app.conf; echo hi > /var/tmp/made-in-vm", Cancellation);
        Computer fork = await vm.ForkAsync(cancellationToken: Cancellation);

        Assert.Equal("hello from the test\nport=8080\n", seen.StdoutText);
        Assert.Equal("hello from the test", await fork.Sync.ReadFileTextAsync("/tmp/hello.txt", Cancellation));
        Assert.Equal("hi\n", await fork.Sync.ReadFileTextAsync("/var/tmp/made-in-vm", Cancellation));
    }

    [Fact]
    public async Task CancellingALargeUpload_LeavesNoFile()
    {
        Computer vm = await NewVmAsync();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        using var slow = new ZeroStream(64 * 1024 * 1024, cancelAfterBytes: 8 * 1024 * 1024, cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => vm.Sync.WriteFileAsync("/home/user/partial.bin", slow, cancel.Token));

        var error = await Assert.ThrowsAsync<ArkerException>(() => vm.Sync.ReadFileAsync("/home/user/partial.bin", Cancellation));
        Assert.Equal("not_found", error.Code);
        Assert.Equal("", (await vm.RunAsync("ls -A ~", Cancellation)).StdoutText);
    }

    [Fact]
    public async Task ManifestAsync_ListsEveryFileBelowADirectory_WithSizeModeAndHash_OnTheCurrentApiOnly()
    {
        Computer vm = await NewVmAsync();
        byte[] big = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        await vm.Sync.WriteFileAsync("/home/user/tree/a.txt", "alpha", Cancellation);
        await vm.Sync.WriteFileAsync("/home/user/tree/deep/b.bin", big, Cancellation);
        await vm.RunAsync("chmod 755 ~/tree/a.txt && ln -s a.txt ~/tree/link", Cancellation);

        if (protocol == ArkerProtocol.V01)
        {
            var refused = await Assert.ThrowsAsync<NotSupportedException>(() => vm.Sync.ManifestAsync("/home/user/tree", Cancellation));
            Assert.Contains("current Arker API", refused.Message);
            return;
        }

        DirectoryManifest manifest = await vm.Sync.ManifestAsync("/home/user/tree", Cancellation);

        Assert.Equal("/home/user/tree", manifest.Root);
        Assert.False(manifest.Truncated);
        Assert.Equal(
            [
                new ManifestFile("a.txt", 5, 0x81ED, Convert.ToHexStringLower(SHA256.HashData("alpha"u8))),
                new ManifestFile("deep/b.bin", big.Length, 0x81A4, Convert.ToHexStringLower(SHA256.HashData(big))),
            ],
            manifest.Files.OrderBy(f => f.Path, StringComparer.Ordinal));
        DirectoryManifest notYet = await vm.Sync.ManifestAsync("/home/user/nowhere", Cancellation); // a directory not made yet has no files
        Assert.Equal(("/home/user/nowhere", 0), (notYet.Root, notYet.Files.Count));
    }

    private Task<Computer> NewVmAsync() => _arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

    /// <summary>A stream that cannot seek (like a pipe).</summary>
    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

public sealed class ComputerSyncTestsOnTheCurrentApi(LocalServer local) : ComputerSyncTests(local, ArkerProtocol.Current);

public sealed class ComputerSyncTestsOnApi01(LocalServer local) : ComputerSyncTests(local, ArkerProtocol.V01);
