using Arker.Testing.Snapshots;

namespace Arker.Testing.Xunit.Tests;

/// <summary>Snapshots in Verify's style; the verified files sit beside this source file.</summary>
[ArkerVm(typeof(EchoToolTemplate))]
public sealed class VmSnapshotTests : ArkerTest
{
    [Fact]
    public Task Transcript_OfACommand() =>
        Vm.VerifyRunAsync("greet snapshots; echo to stderr >&2; exit 3", cancellationToken: CancellationToken);

    [Theory]
    [InlineData("alice")]
    [InlineData("bob")]
    public Task TheoryParameters_NameTheFile(string name) =>
        Vm.VerifyRunAsync($"greet {name}", cancellationToken: CancellationToken);

    // The NUnit adapter's tests have the same test with [TestCase("a/b c")]: both name the file the same way (..._name=a_b_c).
    [Theory]
    [InlineData("a/b c")]
    public Task Arguments_AreCleanedForTheFileName(string name) =>
        Vm.VerifyRunAsync($"echo '{name}'", cancellationToken: CancellationToken);

    [Fact]
    public Task VmIdsAndTimes_AreScrubbed() =>
        Vm.VerifyRunAsync($"echo {Vm.Id} {BaseVm.Vm.Id} {Vm.Id}; date -u +%Y-%m-%dT%H:%M:%SZ", cancellationToken: CancellationToken);

    [Fact]
    public async Task AFile_AndADirectoryListingWithHashes()
    {
        await Vm.Sync.WriteFileAsync("/home/user/config/app.ini", "[app]\nname=demo\n", CancellationToken);
        await Vm.Sync.WriteFileAsync("/home/user/config/empty", "", CancellationToken);

        await Vm.VerifyFileAsync("/home/user/config/app.ini", cancellationToken: CancellationToken);
        await Snapshot.VerifyAsync((await Vm.RunAsync("pwd", CancellationToken)).StdoutText.TrimEnd(), sourceFile: ThisFile(), member: "AFile_AndADirectoryListingWithHashes_Cwd");
        await Vm.VerifyDirectoryAsync("/home/user/config", cancellationToken: CancellationToken, member: "AFile_AndADirectoryListingWithHashes_Listing");
    }

    [Fact]
    public async Task TheChangesATestMade_ComparedWithItsBase()
    {
        (await Vm.RunAsync("echo 'echo changed' >> ~/.local/bin/greet && mkdir -p ~/new && echo x > ~/new/file && ln -s new/file ~/link", CancellationToken)).ShouldSucceed();

        await VerifyChangesAsync("/home/user");
    }

    [Fact]
    public async Task NoChanges_SaySo()
    {
        await VerifyChangesAsync("/home/user");
    }

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;
}
