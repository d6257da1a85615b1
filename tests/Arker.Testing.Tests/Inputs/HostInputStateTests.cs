using Arker.Testing.Inputs;

namespace Arker.Testing.Tests.Inputs;

/// <summary>What a base's provisioning read from this machine, read again later: what changed, named as the run summary names it.</summary>
public sealed class HostInputStateTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("arker-inputs-").FullName;
    private readonly string _variable = "ARKER_TEST_INPUT_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    [Fact]
    public void NothingChanged_MeansNoChanges_AndTheSameDigest()
    {
        Write("testdata/notes-1.0/notes", "v1");
        HostInputState then = HostInputState.Read([HostInput.Directory(Path.Combine(_folder, "testdata")), HostInput.File(Path.Combine(_folder, "config.json"))]);

        HostInputState now = then.ReadAgain();

        Assert.Empty(now.ChangesSince(then));
        Assert.Equal(then.Digest, now.Digest);
    }

    [Fact]
    public void AFileEditedAddedOrRemovedBelowAFolder_IsNamed()
    {
        Write("testdata/notes-1.0/notes", "v1");
        Write("testdata/notes-1.0/install.sh", "#!/bin/sh");
        HostInputState then = HostInputState.Read([HostInput.Directory(Path.Combine(_folder, "testdata"))]);
        Write("testdata/notes-1.0/notes", "v2");
        File.Delete(Path.Combine(_folder, "testdata/notes-1.0/install.sh"));
        Write("testdata/notes-1.1/notes", "new");

        IReadOnlyList<string> changes = then.ReadAgain().ChangesSince(then);

        Assert.Equal([$"{Shown("testdata/notes-1.0/install.sh")} removed", $"{Shown("testdata/notes-1.0/notes")} changed", $"{Shown("testdata/notes-1.1/notes")} added"], changes);
        Assert.NotEqual(then.Digest, then.ReadAgain().Digest);
    }

    [Fact]
    public void AModeChange_CountsAsAChange_AndExcludedFoldersDoNot()
    {
        Write("tools/run.sh", "echo hi");
        HostInputState then = HostInputState.Read([HostInput.Directory(Path.Combine(_folder, "tools"), ["bin"])]);
        File.SetUnixFileMode(Path.Combine(_folder, "tools/run.sh"), (UnixFileMode)0x1ED);
        Write("tools/bin/Debug/tool.dll", "built");

        Assert.Equal([$"{Shown("tools/run.sh")} changed"], then.ReadAgain().ChangesSince(then));
    }

    [Fact]
    public void AFile_AndAnEnvironmentVariable_AppearChangeAndGo()
    {
        string config = Path.Combine(_folder, "config.json");
        HostInputState then = HostInputState.Read([HostInput.File(config), HostInput.EnvironmentVariable(_variable)]);
        Write("config.json", "{}");
        Environment.SetEnvironmentVariable(_variable, "one");
        HostInputState appeared = then.ReadAgain();
        Write("config.json", "{\"a\":1}");
        Environment.SetEnvironmentVariable(_variable, "two");
        HostInputState changed = appeared.ReadAgain();
        File.Delete(config);
        Environment.SetEnvironmentVariable(_variable, null);

        Assert.Equal([$"{Shown("config.json")} appeared", $"${_variable} is set now"], appeared.ChangesSince(then));
        Assert.Equal([$"{Shown("config.json")} changed", $"${_variable} changed"], changed.ChangesSince(appeared));
        Assert.Equal([$"{Shown("config.json")} is gone", $"${_variable} is unset now"], changed.ReadAgain().ChangesSince(changed));
    }

    [Fact]
    public void TheJson_KeepsDigestsOnly_AndReadsBack()
    {
        Write("testdata/secret.txt", "the content itself");
        Environment.SetEnvironmentVariable(_variable, "a secret value");
        HostInputState then = HostInputState.Read([HostInput.Directory(Path.Combine(_folder, "testdata"), ["obj", "bin"]), HostInput.EnvironmentVariable(_variable)]);

        string json = then.ToJson();
        HostInputState back = HostInputState.Parse(json)!;

        Assert.DoesNotContain("the content itself", json);
        Assert.DoesNotContain("a secret value", json);
        Assert.Equal(then.Digest, back.Digest);
        Assert.Equal(["bin", "obj"], back.Inputs[0].Input.ExcludedDirectories);
        Assert.Empty(back.ReadAgain().ChangesSince(back));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"format\":2,\"inputs\":[]}")]
    [InlineData("{\"format\":1,\"inputs\":[{\"kind\":\"Printer\",\"location\":\"x\",\"excluded\":[],\"digests\":{}}]}")]
    public void AnythingElse_IsNoRecord(string? json) => Assert.Null(HostInputState.Parse(json));

    [Fact]
    public void TheSameInputTwice_CountsOnce()
    {
        Write("a.txt", "a");
        string path = Path.Combine(_folder, "a.txt");

        HostInputState state = HostInputState.Read([HostInput.File(path), HostInput.File(path)]);

        Assert.Single(state.Inputs);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_variable, null);
        Directory.Delete(_folder, recursive: true);
    }

    private void Write(string relative, string content)
    {
        string path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private string Shown(string relative) => Path.Combine(_folder, relative);
}
