using Arker.Testing.Fixtures;
using Arker.Testing.Local;
using Arker.Testing.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Tests.Fixtures;

public sealed class ArkerTestEnvironmentTests(LocalServer local)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutAnApiKey_TheEmbeddedLocalServerServesTheRun()
    {
        await using ArkerTestEnvironment environment = await ArkerTestEnvironment.CreateAsync(new ArkerTestingSettings(), cancellationToken: Cancellation);

        Computer vm = await environment.Client.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        RunResult r = await vm.RunAsync("echo local", Cancellation);

        Assert.True(environment.IsLocal);
        Assert.Null(environment.UnavailableReason);
        Assert.Matches("^arker-run-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$", environment.RunId);
        Assert.Equal("local\n", r.StdoutText);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WhenNoArkerCanRun_TheClientExplainsWhy_AndSaysWhetherTheRunRequiresIt(bool required)
    {
        await using ArkerTestEnvironment environment = await ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings { Require = required }, null, new LocalArkerServerBackend(() => new LocalArkerServerOptions { RootFilesystem = "/nonexistent/rootfs" }), Cancellation);

        var error = Assert.Throws<ArkerUnavailableException>(() => environment.Client);

        Assert.Equal(required, error.Required);
        Assert.Contains("ARKER_API_KEY is not set", error.Message);
        Assert.Contains("'/nonexistent/rootfs' does not exist", error.Message);
    }

    [Fact]
    public void Settings_ComeFromTheEnvironment_AndBadValuesAreRefusedByName()
    {
        var variables = new Dictionary<string, string>
        {
            ["ARKER_API_KEY"] = "ark_x",
            ["ARKER_BASE_URL"] = "http://127.0.0.1:8787",
            ["CI"] = "true",
            ["ARKER_TESTING_KEEP_FAILED"] = "1",
            ["ARKER_TESTING_POOL_SIZE"] = "5",
            ["ARKER_TESTING_MAX_VMS"] = "9",
            ["ARKER_TESTING_REUSE"] = "yes",
        };

        ArkerTestingSettings settings = ArkerTestingSettings.FromVariables(n => variables.GetValueOrDefault(n));
        var badPool = Assert.Throws<ArgumentException>(() => ArkerTestingSettings.FromVariables(n => n == "ARKER_TESTING_POOL_SIZE" ? "-1" : null));
        var badUrl = Assert.Throws<ArgumentException>(() => ArkerTestingSettings.FromVariables(n => n == "ARKER_BASE_URL" ? "not a url" : null));

        Assert.Equal(("ark_x", "http://127.0.0.1:8787/", true, true, 5, 9, true),
            (settings.ApiKey, settings.BaseUrl!.ToString(), settings.Require, settings.KeepFailed, settings.PoolSize, settings.MaxLiveVms, settings.ReuseBases));
        Assert.Contains("ARKER_TESTING_POOL_SIZE", badPool.Message);
        Assert.Contains("ARKER_BASE_URL", badUrl.Message);
        Assert.False(ArkerTestingSettings.FromVariables(_ => null).Require);
    }

    [Theory]
    [InlineData(null, true, false)]
    [InlineData("on", true, false)]
    [InlineData("1", true, false)]
    [InlineData("TRUE", true, false)]
    [InlineData("off", false, false)]
    [InlineData("0", false, false)]
    [InlineData(" clear ", true, true)]
    public void TheLocalBaseCache_TakesItsDocumentedValues(string? text, bool on, bool clear)
    {
        ArkerTestingSettings settings = ArkerTestingSettings.FromVariables(n => n == "ARKER_TESTING_LOCAL_CACHE" ? text : null);

        Assert.Equal((on, clear), (settings.LocalBaseCache, settings.ClearLocalBaseCache));
    }

    [Theory]
    [InlineData("ARKER_TESTING_LOCAL_CACHE", "banana")]
    [InlineData("ARKER_TESTING_LOCAL_CACHE", "enabled")]
    [InlineData("ARKER_TESTING_KEEP_FAILED", "please")]
    [InlineData("ARKER_TESTING_REUSE", "2")]
    [InlineData("ARKER_TESTING_REQUIRE", "always")]
    public void ASettingRefusesWhatItDoesNotTake_NamingItAndItsValues(string name, string text)
    {
        var refused = Assert.Throws<ArgumentException>(() => ArkerTestingSettings.FromVariables(n => n == name ? text : null));

        Assert.Contains(name, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"(got '{text}')", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CI_BelongsToOtherTools_AndIsNeverRefused()
    {
        Assert.True(ArkerTestingSettings.FromVariables(n => n == "CI" ? "true" : null).Require);
        Assert.False(ArkerTestingSettings.FromVariables(n => n == "CI" ? "woodpecker" : null).Require);
    }

    [Fact]
    public void RunIdAndLocalDataRoot_ComeFromTheEnvironment_AndTheApiKeyIsNeverPrinted()
    {
        ArkerTestingSettings settings = ArkerTestingSettings.FromVariables(n => n switch
        {
            "ARKER_TESTING_RUN_ID" => "nightly-42",
            "ARKER_TESTING_LOCAL_DATA_ROOT" => "/var/tmp/arker",
            "ARKER_API_KEY" => "ark_secret_value",
            _ => null,
        });
        var badRunId = Assert.Throws<ArgumentException>(() => ArkerTestingSettings.FromVariables(n => n == "ARKER_TESTING_RUN_ID" ? "has spaces" : null));

        Assert.Equal(("nightly-42", "/var/tmp/arker"), (settings.RunId, settings.LocalDataRoot));
        Assert.Contains("ARKER_TESTING_RUN_ID must be 1 to 57 letters, digits, '-' or '_' (got 'has spaces')", badRunId.Message);
        Assert.DoesNotContain("ark_secret_value", settings.ToString());
        Assert.Contains("ApiKey = (set)", settings.ToString());
    }

    [Fact]
    public void TheRunId_IsTheAssignedOne_ElseTheGivenPrefixWithASuffix_ElseANewOne()
    {
        var prefixed = new ArkerTestingSettings { RunId = "nightly-42" };

        Assert.Matches("^nightly-42-[0-9a-f]{6}$", prefixed.MakeRunId());
        Assert.NotEqual(prefixed.MakeRunId(), prefixed.MakeRunId());
        Assert.Equal("exact-run", (prefixed with { AssignedRunId = "exact-run" }).MakeRunId());
        Assert.Matches("^arker-run-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$", new ArkerTestingSettings().MakeRunId());
        Assert.StartsWith("arker-run-20261224-183000-", new ArkerTestingSettings().MakeRunId(new FixedClock(new DateTimeOffset(2026, 12, 24, 18, 30, 0, TimeSpan.Zero))));
        Assert.Equal("exact-run", ArkerTestingSettings.FromVariables(n => n == "ARKER_TESTING_ASSIGNED_RUN_ID" ? "exact-run" : null).AssignedRunId);
        Assert.Throws<ArgumentException>(() => ArkerTestingSettings.FromVariables(n => n == "ARKER_TESTING_RUN_ID" ? new string('r', 58) : null));
    }

    [Fact]
    public async Task ABase_IsProvisionedOncePerScope_AndEveryLeaseIsItsOwnFork()
    {
        await using ArkerTestEnvironment environment = await TestEnvironments.AgainstAsync(local.Server);
        int before = MarkerTemplate.Provisioned;

        BaseVm first = await environment.GetBaseAsync(new MarkerTemplate(), "class A", Cancellation);
        BaseVm again = await environment.GetBaseAsync(new MarkerTemplate(), "class A", Cancellation);
        await using VmLease one = await first.LeaseAsync("one", Cancellation);
        await using VmLease two = await again.LeaseAsync("two", Cancellation);
        await one.Vm.Sync.WriteFileAsync("/home/user/app/state", "changed by one\n", Cancellation);

        Assert.Same(first, again);
        Assert.Equal(before + 1, MarkerTemplate.Provisioned);
        Assert.NotEqual(one.Vm.Id, two.Vm.Id);
        Assert.Equal("by MarkerTemplate\n", await two.Vm.Sync.ReadFileTextAsync("/home/user/provisioned.txt", Cancellation));
        Assert.Equal("ready\n", await two.Vm.Sync.ReadFileTextAsync("/home/user/app/state", Cancellation));
        Assert.Equal("ready\n", await first.Vm.Sync.ReadFileTextAsync("/home/user/app/state", Cancellation));
        Assert.Contains(environment.RunId, (await local.Client.ListAsync(new ListOptions { Query = environment.RunId, Limit = 100 }, Cancellation)).Items.Single(v => v.VmId == one.Vm.Id).Name);
    }

    [Fact]
    public async Task ReleasingALease_DeletesItsVm_UnlessTheTestFailedAndKeepingIsOn()
    {
        await using ArkerTestEnvironment keeping = await TestEnvironments.AgainstAsync(local.Server, keepFailed: true);
        BaseVm baseVm = await keeping.GetBaseAsync(new BaseImageTemplate(), "release", Cancellation);
        VmLease passed = await baseVm.LeaseAsync("passed", Cancellation);
        VmLease failed = await baseVm.LeaseAsync("failed", Cancellation);

        string? passedNote = await passed.ReleaseAsync(testFailed: false);
        string? failedNote = await failed.ReleaseAsync(testFailed: true);

        Assert.Null(passedNote);
        Assert.Contains(failed.Vm.Id, failedNote);
        await WaitUntilGoneAsync(passed.Vm); // deletion runs in the background, off the test's time
        Assert.Equal(0, (await failed.Vm.RunAsync("true", Cancellation)).ExitCode);
        Assert.True(await failed.Vm.TryDeleteAsync(Cancellation));
    }

    private static async Task WaitUntilGoneAsync(Computer vm)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                await vm.RunAsync("true", Cancellation);
            }
            catch (ArkerException ex) when (ex.Code == "not_found")
            {
                return;
            }

            await Task.Delay(20, Cancellation);
        }

        Assert.Fail($"VM {vm.Id} was not deleted within 10 s of its release");
    }

    [Fact]
    public async Task AProvisioningFailure_IsReportedToEveryUser_WithTheCommandAndItsOutput_AndLeavesNoVm()
    {
        await using ArkerTestEnvironment environment = await TestEnvironments.AgainstAsync(local.Server);

        var first = await Assert.ThrowsAsync<TemplateProvisioningException>(() => environment.GetBaseAsync(new BrokenTemplate(), "broken", Cancellation));
        var second = await Assert.ThrowsAsync<TemplateProvisioningException>(() => environment.GetBaseAsync(new BrokenTemplate(), "broken", Cancellation));

        Assert.Same(first, second);
        Assert.Contains("BrokenTemplate", first.Message);
        string report = first.ToString(); // what a test framework prints: the message, then the cause's
        Assert.Contains("exit 100` to succeed", report);
        Assert.Contains("E: package not found", report);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(report, "It exited with 100")); // once, not in both messages
        Assert.Empty(await TestEnvironments.NamesAsync(local.Client, environment.RunId));
    }

    [Fact]
    public async Task ABaseThatCannotBeForked_FailsItsTests_SayingWhy_AndTheRunStillCompletes()
    {
        ArkerTestEnvironment environment = await TestEnvironments.AgainstAsync(local.Server);

        var failure = await Assert.ThrowsAsync<TemplateProvisioningException>(() => environment.GetBaseAsync(new UnknownBaseTemplate(), "unknown", Cancellation));
        await environment.DisposeAsync(); // the end of the run: no exception escapes to the test host

        Assert.Contains("UnknownBaseTemplate", failure.Message);
        Assert.Contains("no VM or image named 'no-such-base'", failure.ToString());
        Assert.Empty(await TestEnvironments.NamesAsync(local.Client, environment.RunId));
    }

    [Fact]
    public async Task ATemplateOverAContainerImage_IsProvisionedOnTheImage_AndItsTestsForkIt()
    {
        string work = Directory.CreateTempSubdirectory("arker-image-template-").FullName;
        try
        {
            ImageTemplate.Layout = await TestImages.MakeAsync(work);
            await using ArkerTestEnvironment environment = await TestEnvironments.AgainstAsync(local.Server);

            BaseVm baseVm = await environment.GetBaseAsync(new ImageTemplate(), "image", Cancellation);
            await using VmLease lease = await baseVm.LeaseAsync("image test", Cancellation);
            RunResult result = await lease.Vm.RunAsync( // the image has bash alone: its builtins read the files
                "read -r made < ~/marker; read -r image < /usr/share/marker; echo \"$made\"; echo \"$image\"; test -e /usr/bin/python3 && echo host-usr || echo own-usr", Cancellation);

            Assert.Equal("provisioned\nfrom the image\nown-usr\n", result.StdoutText);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task ATestCancelledWhileTheBaseProvisions_StopsOnlyItsOwnWait_AndTheNextTestGetsTheBase()
    {
        await using ArkerTestEnvironment environment = await TestEnvironments.AgainstAsync(local.Server);
        using var timedOut = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timedOut.CancelAfter(TimeSpan.FromMilliseconds(200)); // as [Fact(Timeout = 200)] would

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => environment.GetBaseAsync(new SlowTemplate(), "timeout", timedOut.Token));
        BaseVm baseVm = await environment.GetBaseAsync(new SlowTemplate(), "timeout", Cancellation);
        await using VmLease lease = await baseVm.LeaseAsync("the next test", Cancellation);

        Assert.Equal("slow and steady\n", await lease.Vm.Sync.ReadFileTextAsync("/home/user/slow.txt", Cancellation));
    }

    [Fact]
    public async Task TheEndOfTheRun_DeletesEveryVmOfTheRun()
    {
        ArkerTestEnvironment environment = await TestEnvironments.AgainstAsync(local.Server, poolSize: 2);
        BaseVm baseVm = await environment.GetBaseAsync(new MarkerTemplate(), "end of run", Cancellation);
        _ = await baseVm.LeaseAsync("never released", Cancellation);
        _ = await environment.Client.Vm("arkuntu").ForkAsync(new ForkOptions { Name = environment.RunId + "-by-hand" }, Cancellation);
        Assert.True((await TestEnvironments.NamesAsync(local.Client, environment.RunId)).Count >= 3);

        await environment.DisposeAsync();

        Assert.Empty(await TestEnvironments.NamesAsync(local.Client, environment.RunId));
    }

    [Fact]
    public async Task TheEndOfTheRun_SummarizesWhatTheRunDid_CountingKeptVmsApart()
    {
        ArkerTestEnvironment environment = await ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings { ApiKey = local.Server.ApiKey, BaseUrl = local.Server.ApiBaseUrl, PoolSize = 0, KeepFailed = true, RunId = "summary-" + Guid.NewGuid().ToString("N")[..8] },
            cancellationToken: Cancellation);
        BaseVm baseVm = await environment.GetBaseAsync(new MarkerTemplate(), "summary", Cancellation);
        VmLease passed = await baseVm.LeaseAsync("passed", Cancellation);
        VmLease failed = await baseVm.LeaseAsync("failed", Cancellation);
        await passed.ReleaseAsync(testFailed: false);
        await failed.ReleaseAsync(testFailed: true);
        _ = await environment.Client.Vm("arkuntu").ForkAsync(new ForkOptions { Name = environment.RunId + "-made-outside-the-bookkeeping" }, Cancellation);

        ArkerRunSummary summary = await environment.CompleteAsync();

        Assert.Equal((3, 2, 1, 1, 0), (summary.VmsCreated, summary.TestForks, summary.BasesProvisioned, summary.KeptForFailedTests, summary.LeftBehind));
        Assert.Equal(environment.RunId, summary.RunId);
        Assert.True(summary.MedianForkTime > TimeSpan.Zero && summary.MedianProvisioningTime > TimeSpan.Zero && summary.VmTime > TimeSpan.Zero, summary.ToString());
        Assert.Equal([environment.RunId], await TestEnvironments.NamesAsync(local.Client, environment.RunId)); // only the kept one's name is the run id itself
        Assert.Same(summary, await environment.CompleteAsync());
        Assert.True(await local.Client.Vm(failed.Vm.Id).TryDeleteAsync(Cancellation)); // the kept VM outlives the run's client
        Assert.Matches($@"^Arker run {environment.RunId}: 3 VMs created, 2 test forks \(fork p50 [\d.]+ ms; a test's wait for its VM p50 [\d.]+ ms, longest [\d.]+ ms\), 1 base provisioned \(p50 [\d.]+ s\), [\d.]+ VM-seconds, 1 kept for failed tests, 0 VMs left behind\.$", summary.ToString());
    }

    [Theory]
    [InlineData("current")]
    [InlineData("0.1")]
    public async Task AKeptVmsHint_IsACommandThatWorks_InTheGenerationInUse(string generation)
    {
        Uri baseUrl = generation == "current" ? local.Server.ApiBaseUrl : local.Server.V01BaseUrl;
        await using ArkerTestEnvironment environment = await ArkerTestEnvironment.CreateAsync(
            new ArkerTestingSettings { ApiKey = local.Server.ApiKey, BaseUrl = baseUrl, PoolSize = 0, KeepFailed = true },
            cancellationToken: Cancellation);
        VmLease failed = await (await environment.GetBaseAsync(new MarkerTemplate(), "hint", Cancellation)).LeaseAsync("failed", Cancellation);

        string hint = (await failed.ReleaseAsync(testFailed: true))!;
        string command = hint[(hint.IndexOf("Inspect it: ", StringComparison.Ordinal) + "Inspect it: ".Length)..];
        var shell = new System.Diagnostics.ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        shell.Environment["ARKER_API_KEY"] = local.Server.ApiKey;
        using var curl = System.Diagnostics.Process.Start(shell)!;
        string output = await curl.StandardOutput.ReadToEndAsync(Cancellation);
        await curl.WaitForExitAsync(Cancellation);

        Assert.True(curl.ExitCode == 0, $"{command} -> {curl.ExitCode}: {output}{await curl.StandardError.ReadToEndAsync(Cancellation)}");
        Assert.Contains("provisioned.txt", output, StringComparison.Ordinal); // the kept VM's home, listed by `ls -la`
        Assert.True(await local.Client.Vm(failed.Vm.Id).TryDeleteAsync(Cancellation));
    }

    [Fact]
    public async Task RunsGivenTheSameRunId_NeverDeleteEachOthersVms()
    {
        var settings = new ArkerTestingSettings { ApiKey = local.Server.ApiKey, BaseUrl = local.Server.ApiBaseUrl, PoolSize = 0, RunId = "shared-" + Guid.NewGuid().ToString("N")[..8] };
        ArkerTestEnvironment first = await ArkerTestEnvironment.CreateAsync(settings, cancellationToken: Cancellation);
        await using ArkerTestEnvironment second = await ArkerTestEnvironment.CreateAsync(settings, cancellationToken: Cancellation);
        _ = await (await first.GetBaseAsync(new BaseImageTemplate(), "one", Cancellation)).LeaseAsync("first", Cancellation);
        VmLease secondVm = await (await second.GetBaseAsync(new BaseImageTemplate(), "two", Cancellation)).LeaseAsync("second", Cancellation);

        ArkerRunSummary summary = await first.CompleteAsync();

        Assert.NotEqual(first.RunId, second.RunId);
        Assert.StartsWith(settings.RunId + "-", first.RunId);
        Assert.Equal(0, summary.LeftBehind);
        Assert.Equal(0, (await secondVm.Vm.RunAsync("true", Cancellation)).ExitCode); // the other run's VM is still there
        Assert.Empty(await TestEnvironments.NamesAsync(local.Client, first.RunId));
    }

    [Fact]
    public async Task CleaningUpAnAbandonedRun_DeletesEveryVmNamedWithItsId_AndNothingElse()
    {
        string runId = "abandoned-" + Guid.NewGuid().ToString("N")[..8];
        Computer image = local.Client.Vm("arkuntu");
        await image.ForkAsync(new ForkOptions { Name = runId }, Cancellation);
        await image.ForkAsync(new ForkOptions { Name = runId + "-provisioning-x" }, Cancellation);
        Computer bystander = await image.ForkAsync(new ForkOptions { Name = "another-run" }, Cancellation);

        int deleted = await ArkerTestEnvironment.CleanUpAbandonedRunAsync(new ArkerTestingSettings { ApiKey = local.Server.ApiKey, BaseUrl = local.Server.ApiBaseUrl }, runId, Cancellation);

        Assert.Equal(2, deleted);
        Assert.Empty(await TestEnvironments.NamesAsync(local.Client, runId));
        Assert.True(await bystander.TryDeleteAsync(Cancellation));
    }

    [Fact]
    public async Task TheWarmPool_HoldsForksReady()
    {
        await using ArkerTestEnvironment environment = await TestEnvironments.AgainstAsync(local.Server, poolSize: 3);
        BaseVm baseVm = await environment.GetBaseAsync(new BaseImageTemplate(), "pool", Cancellation);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await TestEnvironments.NamesAsync(local.Client, environment.RunId)).Count < 4 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, Cancellation);
        }

        Assert.Equal(4, (await TestEnvironments.NamesAsync(local.Client, environment.RunId)).Count); // the base and three ready forks
        await using VmLease lease = await baseVm.LeaseAsync("pooled", Cancellation);
        Assert.Equal(0, (await lease.Vm.RunAsync("true", Cancellation)).ExitCode);
    }

    [Fact]
    public async Task TheLimitOnLiveVms_MakesALeaseWaitForARelease()
    {
        await using ArkerTestEnvironment environment = await TestEnvironments.AgainstAsync(local.Server, maxLiveVms: 3);
        BaseVm baseVm = await environment.GetBaseAsync(new BaseImageTemplate(), "limit", Cancellation);
        VmLease one = await baseVm.LeaseAsync("one", Cancellation);
        await using VmLease two = await baseVm.LeaseAsync("two", Cancellation);
        using var shortWait = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        shortWait.CancelAfter(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => baseVm.LeaseAsync("three", shortWait.Token));
        await one.DisposeAsync();
        await using VmLease three = await baseVm.LeaseAsync("three", Cancellation);

        Assert.Equal(0, (await three.Vm.RunAsync("true", Cancellation)).ExitCode);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
