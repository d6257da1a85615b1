using Arker.Testing.Extensibility;
using Arker.Testing.Fixtures;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Fixtures;

/// <summary>A failed test's evidence: its VM's transcript and the VM files it named, written and attached before the VM goes.</summary>
public sealed class FailureEvidenceTests(LocalServer local) : IDisposable
{
    private readonly string _results = Directory.CreateTempSubdirectory("arker-results-").FullName;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failed_tests_transcript_files_and_service_output_are_attached_and_a_missing_file_is_noted()
    {
        await using ArkerTestEnvironment environment = await EnvironmentAsync();
        BaseVm baseVm = await environment.GetBaseAsync(new LoggingTemplate(), "evidence", Cancellation);
        VmLease lease = await baseVm.LeaseAsync("evidence test", Cancellation);
        var attached = new List<(string Path, string Description)>();

        await lease.Vm.RunAsync("echo started >> ~/app.log && echo to stderr >&2", Cancellation);
        await lease.Vm.RunAsync("cd /tmp && echo extra > extra.txt && exit 3", new RunOptions { SessionId = "work" }, Cancellation);
        lease.Vm.AttachOnFailure("/tmp/extra.txt");
        VmService service = await lease.Vm.StartServiceAsync("echo serving; exec sleep 600", "app", Cancellation);
        await service.WaitForOutputAsync("serving", TimeSpan.FromSeconds(20), Cancellation);
        string? note = await lease.ReleaseAsync(testFailed: true, Test((path, description) => attached.Add((path, description))));

        Assert.Equal(["transcript.txt", "home_user_app.log", "tmp_extra.txt", "tmp_arker-services_app.log"], attached.Select(a => Path.GetFileName(a.Path)));
        Assert.All(attached, a => Assert.StartsWith(Path.Combine(_results, "arker", environment.RunId) + "/", a.Path, StringComparison.Ordinal));
        string transcript = File.ReadAllText(attached[0].Path);
        Assert.StartsWith($"Transcript of VM {lease.Vm.Id}, the VM of test evidence: 4 commands.\n", transcript, StringComparison.Ordinal);
        Assert.Matches(@"session 0, \d+ ms, exit code 0\n\$ echo started >> ~/app.log && echo to stderr >&2\n--- stderr ---\nto stderr\n", transcript);
        Assert.Matches(@"session work, \d+ ms, exit code 3\n\$ cd /tmp && echo extra > extra.txt && exit 3\n", transcript);
        Assert.Contains("/var/log/never-written.log: not attached (not_found", transcript, StringComparison.Ordinal);
        Assert.Equal("provisioned\nstarted\n", File.ReadAllText(attached[1].Path));
        Assert.Equal("extra\n", File.ReadAllText(attached[2].Path));
        Assert.Equal("serving\n", File.ReadAllText(attached[3].Path));
        Assert.Contains("Attached the VM's transcript and 3 file(s)", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_passing_test_attaches_nothing()
    {
        await using ArkerTestEnvironment environment = await EnvironmentAsync();
        BaseVm baseVm = await environment.GetBaseAsync(new LoggingTemplate(), "evidence", Cancellation);
        VmLease lease = await baseVm.LeaseAsync("passing test", Cancellation);
        var attached = new List<string>();

        await lease.Vm.RunAsync("true", Cancellation);
        string? note = await lease.ReleaseAsync(testFailed: false, Test((path, _) => attached.Add(path)));

        Assert.Null(note);
        Assert.Empty(attached);
        Assert.False(Directory.Exists(Path.Combine(_results, "arker")));
    }

    [Fact]
    public async Task Only_a_tests_own_VM_keeps_evidence_and_paths_must_be_absolute()
    {
        Computer notLeased = local.Client.Vm("arkuntu");
        await using ArkerTestEnvironment environment = await EnvironmentAsync();
        BaseVm baseVm = await environment.GetBaseAsync(new LoggingTemplate(), "evidence", Cancellation);
        await using VmLease lease = await baseVm.LeaseAsync("paths", Cancellation);

        var notOwn = Assert.Throws<InvalidOperationException>(() => notLeased.AttachOnFailure("/var/log/app.log"));
        var relative = Assert.Throws<ArgumentException>(() => lease.Vm.AttachOnFailure("app.log"));

        Assert.Contains("is not a test's own VM", notOwn.Message, StringComparison.Ordinal);
        Assert.Contains("takes an absolute path in the VM", relative.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_results, recursive: true);

    private Task<ArkerTestEnvironment> EnvironmentAsync() => ArkerTestEnvironment.CreateAsync(
        new ArkerTestingSettings { ApiKey = local.Server.ApiKey, BaseUrl = local.Server.ApiBaseUrl, PoolSize = 0, ResultsDirectory = _results },
        cancellationToken: Cancellation);

    private static TestInfo Test(Action<string, string> attach) => new()
    {
        TestClass = typeof(FailureEvidenceTests),
        TestMethod = typeof(FailureEvidenceTests).GetMethod(nameof(A_failed_tests_transcript_files_and_service_output_are_attached_and_a_missing_file_is_noted)),
        DisplayName = "evidence",
        WriteOutput = _ => { },
        AddAttachment = attach,
        CreateSkip = reason => new InvalidOperationException(reason),
    };

    /// <summary>Writes a log its tests append to, and names it and a log that never appears for every failed test.</summary>
    private sealed class LoggingTemplate : VmTemplate
    {
        public override string BaseImage => "arkuntu";

        public override IEnumerable<string> AttachOnFailure => ["/home/user/app.log", "/var/log/never-written.log"];

        public override Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) =>
            vm.Sync.WriteFileAsync("/home/user/app.log", "provisioned\n", cancellationToken);
    }
}
