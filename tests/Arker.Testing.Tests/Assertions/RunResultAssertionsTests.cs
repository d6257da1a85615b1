using Arker.Testing.Assertions;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Assertions;

public sealed class RunResultAssertionsTests(LocalServer local)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PassingChecks_ChainAndReturnTheResult()
    {
        Computer vm = await local.Client.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

        RunResult r = (await vm.RunAsync("echo '{\"tool\": \"ok\"}'; echo note >&2", Cancellation))
            .ShouldSucceed()
            .ShouldExitWith(0)
            .StdoutShouldContain("tool")
            .StdoutShouldNotContain("error")
            .StdoutShouldMatch("^\\{.*\\}$")
            .StdoutShouldBe("{\"tool\": \"ok\"}")
            .StderrShouldContain("note")
            .StderrShouldMatch("n.te");

        Assert.Equal("ok", r.StdoutShouldBeJson().GetProperty("tool").GetString());
        (await vm.RunAsync("exit 4", Cancellation)).ShouldFail().ShouldExitWith(4);
        (await vm.RunAsync("true", Cancellation)).StderrShouldBeEmpty();
    }

    [Fact]
    public async Task AFailedCheck_ShowsTheCommandExitCodeDurationAndBothStreams()
    {
        Computer vm = await local.Client.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        RunResult r = await vm.RunAsync("cd /tmp; echo partial output; echo 'fatal: no such tool' >&2; exit 2", Cancellation);

        var error = Assert.Throws<CommandAssertionException>(() => r.ShouldSucceed());

        Assert.StartsWith("Expected `cd /tmp; echo partial output; echo 'fatal: no such tool' >&2; exit 2` to succeed (exit code 0).\nIt exited with 2 after ", error.Message);
        Assert.Contains(" ms in session 0.\n--- stdout (15 bytes) ---\npartial output\n--- stderr (20 bytes) ---\nfatal: no such tool\n", error.Message);
        Assert.Contains(typeof(CommandAssertionException).GetInterfaces(), i => i.Name == "IAssertionException");
    }

    [Fact]
    public async Task LongOutput_IsTrimmedInTheMiddle_AndATimeoutIsNamed()
    {
        Computer vm = await local.Client.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        RunResult noisy = await vm.RunAsync("echo FIRST; seq 1 20000; echo LAST", Cancellation);
        RunResult slow = await vm.RunAsync("sleep 5", new RunOptions { Timeout = TimeSpan.FromMilliseconds(300) }, Cancellation);

        string trimmed = Assert.Throws<CommandAssertionException>(() => noisy.StdoutShouldContain("absent")).Message;
        string timedOut = Assert.Throws<CommandAssertionException>(() => slow.ShouldSucceed()).Message;

        Assert.Contains("FIRST", trimmed);
        Assert.Contains("LAST", trimmed);
        Assert.Matches(@"… \[\d+ characters omitted\] …", trimmed);
        Assert.True(trimmed.Length < 6000, $"message is {trimmed.Length} characters");
        Assert.Contains("It timed out (exit code -1)", timedOut);
    }

    [Fact]
    public async Task StdoutThatIsNotJson_FailsWithTheParserMessage()
    {
        Computer vm = await local.Client.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        RunResult r = await vm.RunAsync("echo not json", Cancellation);

        var error = Assert.Throws<CommandAssertionException>(() => r.StdoutShouldBeJson());

        Assert.Contains("to print JSON on stdout, but it does not parse", error.Message);
    }
}
