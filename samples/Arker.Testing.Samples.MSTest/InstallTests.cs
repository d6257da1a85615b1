using Arker.Testing.Snapshots;

namespace Arker.Testing.Samples.MSTest;

/// <summary>The notes tool's install script, tested for real, each test in its own fork, in parallel.</summary>
[TestClass]
[ArkerVm(typeof(NotesMachine))]
public sealed class InstallTests : ArkerTest
{
    [TestMethod]
    public async Task Install_PutsTheToolOnThePath()
    {
        (await Vm.RunAsync("dist/notes-1.0/install.sh", CancellationToken))
            .ShouldSucceed()
            .StdoutShouldBe("installed notes 1.0 to /home/user/.local/bin");

        (await Vm.RunAsync("notes --version", CancellationToken)).ShouldSucceed().StdoutShouldBe("1.0");
    }

    [TestMethod]
    public async Task Install_Twice_IsHarmless()
    {
        (await Vm.RunAsync("dist/notes-1.0/install.sh && dist/notes-1.0/install.sh", CancellationToken)).ShouldSucceed();

        (await Vm.RunAsync("ls -A ~/.local/bin", CancellationToken)).StdoutShouldBe("notes");
    }

    [TestMethod]
    public async Task Notes_AreAddedAndListed()
    {
        await InstallAsync("1.0");

        (await Vm.RunAsync("notes add buy milk && notes add call mum && notes list", CancellationToken))
            .ShouldSucceed()
            .StdoutShouldBe("buy milk\ncall mum");
    }

    [TestMethod]
    public async Task Upgrade_KeepsTheNotes_AndBringsTheNewCommand()
    {
        await InstallAsync("1.0");
        (await Vm.RunAsync("notes add written by 1.0", CancellationToken)).ShouldSucceed();

        await InstallAsync("2.0");

        (await Vm.RunAsync("notes --version; notes list; notes count", CancellationToken))
            .ShouldSucceed()
            .StdoutShouldBe("2.0\nwritten by 1.0\n1");
    }

    [TestMethod]
    public async Task Uninstall_RemovesTheTool_ButKeepsTheNotes()
    {
        await InstallAsync("1.0");
        (await Vm.RunAsync("notes add keep me", CancellationToken)).ShouldSucceed();

        (await Vm.RunAsync("dist/notes-1.0/install.sh uninstall", CancellationToken)).ShouldSucceed().StdoutShouldContain("kept");

        (await Vm.RunAsync("notes --version", CancellationToken)).ShouldExitWith(127).StderrShouldContain("notes");
        Assert.AreEqual("keep me\n", await Vm.Sync.ReadFileTextAsync("/home/user/.notes", CancellationToken));
    }

    [TestMethod]
    [DataRow("notes frobnicate", 2, "usage: notes")]
    [DataRow("notes add", 2, "nothing to add")]
    [DataRow("dist/notes-1.0/install.sh --bogus", 64, "usage: install.sh")]
    public async Task BadInput_IsRefusedWithAMessage(string command, int exitCode, string message)
    {
        await InstallAsync("1.0");

        (await Vm.RunAsync(command, CancellationToken)).ShouldExitWith(exitCode).StderrShouldContain(message);
    }

    [TestMethod]
    public async Task Install_ChangesOnlyWhatItShould()
    {
        await InstallAsync("2.0");

        await VerifyChangesAsync("/home/user"); // InstallTests.Install_ChangesOnlyWhatItShould.verified.txt
    }

    [TestMethod]
    public async Task Usage_IsPrintedWithoutArguments()
    {
        await InstallAsync("2.0");

        await Vm.VerifyRunAsync("notes", cancellationToken: CancellationToken); // a transcript snapshot
    }

    [TestMethod]
    public async Task EveryTest_StartsFromTheSameFreshMachine()
    {
        (await Vm.RunAsync("command -v notes; ls -A ~", CancellationToken)).StdoutShouldBe("dist");
    }

    private async Task InstallAsync(string version) =>
        (await Vm.RunAsync($"dist/notes-{version}/install.sh", CancellationToken)).ShouldSucceed();
}
