using Arker.Testing.Assertions;
using Arker.Testing.Seeding;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Seeding;

public sealed class SeedingTests(LocalServer local)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FromDirectory_CopiesTheTreeWithModes_SkippingGitBinAndObj()
    {
        string root = Directory.CreateTempSubdirectory("arker-seed-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "src", "deep"));
            Directory.CreateDirectory(Path.Combine(root, ".git"));
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            Directory.CreateDirectory(Path.Combine(root, "src", "obj"));
            File.WriteAllText(Path.Combine(root, "install.sh"), "#!/bin/sh\necho installed\n");
            File.SetUnixFileMode(Path.Combine(root, "install.sh"), (UnixFileMode)0x1ED);
            File.WriteAllText(Path.Combine(root, "src", "deep", "data.txt"), "deep data\n");
            File.WriteAllText(Path.Combine(root, ".git", "HEAD"), "ref");
            File.WriteAllText(Path.Combine(root, "bin", "tool.dll"), "x");
            File.WriteAllText(Path.Combine(root, "src", "obj", "cache"), "x");
            Computer vm = await local.Client.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

            await vm.SeedAsync(SeedFiles.FromDirectory(root), "/home/user/project", Cancellation);

            (await vm.RunAsync("cd ~/project && find . -type f | sort && stat -c '%a %U' install.sh && ./install.sh", Cancellation))
                .ShouldSucceed()
                .StdoutShouldBe("./install.sh\n./src/deep/data.txt\n755 user\ninstalled");
            Assert.Equal("", (await vm.RunAsync("ls -A ~ | grep arker-seed || true", Cancellation)).StdoutText);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task FromMapAndEmbeddedResources_Seed()
    {
        Computer vm = await local.Client.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        var map = SeedFiles.FromMap(new Dictionary<string, string> { ["config/app.json"] = "{\"debug\": true}", ["README"] = "hello" });
        var resources = SeedFiles.FromEmbeddedResources(typeof(SeedingTests).Assembly, "SeedResources");

        await vm.SeedAsync(map, "/home/user/from-map", Cancellation);
        await vm.SeedAsync(resources, "/home/user/from-resources", Cancellation);

        (await vm.RunAsync("cat ~/from-map/config/app.json ~/from-map/README; echo; cat ~/from-resources/one.txt ~/from-resources/nested/two.txt", Cancellation))
            .ShouldSucceed()
            .StdoutShouldBe("{\"debug\": true}hello\nembedded one\nembedded two");
    }

    [Fact]
    public async Task AThousandSmallFiles_ArriveWhole_InTwoRequests()
    {
        var files = new SeedFiles();
        for (int i = 0; i < 1000; i++)
        {
            files.Add($"dir{i % 10}/file{i}.txt", System.Text.Encoding.UTF8.GetBytes($"content {i}\n"));
        }

        using var recorder = new RecordingHandler();
        using ArkerClient arker = local.NewClient(o => o.HttpMessageHandler = recorder);
        Computer vm = await arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        int before = recorder.Requests.Count;

        await vm.SeedAsync(files, "/home/user/many", Cancellation);

        Assert.Equal(3, recorder.Requests.Count - before); // the archive (inline), the seed session (made once per VM), and one command
        (await vm.RunAsync("find ~/many -type f | wc -l; cat ~/many/dir7/file997.txt", Cancellation)).StdoutShouldBe("1000\ncontent 997");
    }

    [Fact]
    public void PathsThatLeaveTheTarget_AreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new SeedFiles().Add("../escape", [1]));

        Assert.Contains("below the target directory", error.Message);
        Assert.Throws<DirectoryNotFoundException>(() => SeedFiles.FromDirectory("/nonexistent/seed/dir"));
    }
}
