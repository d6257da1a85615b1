using System.Diagnostics;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Api;

public sealed class RunTests(LocalServerFixture fixture)
{
    private readonly ApiClient _api = fixture.Api;

    [Fact]
    public async Task Run_ReturnsStreamsExitCodeAndCwd()
    {
        string vm = await _api.ForkAsync();

        RunResult result = await _api.RunAsync(vm, "echo out; echo err >&2; exit 3");

        Assert.Equal("out\n", result.StdoutText);
        Assert.Equal("err\n", result.StderrText);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("0", result.SessionId);
        Assert.Equal("/home/user", result.Cwd);
        Assert.True(result.DurationMs > 0);
    }

    [Fact]
    public async Task Run_CommandWithLeadingAndTrailingWhitespace_RunsAsGiven()
    {
        string vm = await _api.ForkAsync();

        // The session reads each command as one line: surrounding blanks are the command's own (an escaped space here).
        RunResult result = await _api.RunAsync(vm, "  printf '[%s]' a\\ ");

        Assert.Equal("[a ]", result.StdoutText);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Run_AsTheVmUser_InBashWithHome()
    {
        string vm = await _api.ForkAsync();

        RunResult result = (await _api.RunAsync(vm, "id -u; id -g; echo $HOME; echo $BASH_VERSION | cut -c1")).Succeeded();

        Assert.Equal("1000\n1000\n/home/user\n5\n", result.StdoutText);
    }

    [Fact]
    public async Task Run_UnknownCommand_IsExitCode127()
    {
        string vm = await _api.ForkAsync();

        RunResult result = await _api.RunAsync(vm, "definitely-not-a-command");

        Assert.Equal(127, result.ExitCode);
        Assert.Contains("command not found", result.StderrText);
    }

    [Fact]
    public async Task Run_SyntaxErrorOrUnbalancedQuote_IsAResultAndTheSessionSurvives()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "cd /tmp")).Succeeded();

        RunResult broken = await _api.RunAsync(vm, "echo \"unterminated");
        RunResult after = await _api.RunAsync(vm, "pwd");

        Assert.Equal(2, broken.ExitCode);
        Assert.Equal("/tmp\n", after.Succeeded().StdoutText);
    }

    [Fact]
    public async Task Run_AllByteValues_ComeBackExactlyAsBase64()
    {
        string vm = await _api.ForkAsync();
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        await _api.WriteAsync(vm, "/home/user/all.bin", all);

        RunResult result = (await _api.RunAsync(vm, "cat ~/all.bin; cat ~/all.bin >&2")).Succeeded();

        Assert.Equal(all, result.Stdout);
        Assert.Equal(all, result.Stderr);
    }

    [Fact]
    public async Task Run_CommandWithEveryPrintableCharacterAndUnicode_IsPassedVerbatim()
    {
        string vm = await _api.ForkAsync();
        string text = "quotes ' \" ` $HOME \\ \\n ; | & < > ( ) { } [ ] * ? ~ # % ^ = + , : @ ! — ünïcødé 🚀";

        RunResult result = (await _api.RunAsync(vm, $"cat <<'EOF'\n{text}\nEOF")).Succeeded();

        Assert.Equal(text + "\n", result.StdoutText);
    }

    [Fact]
    public async Task Run_Session_KeepsCwdAndExportedEnvironment()
    {
        string vm = await _api.ForkAsync();

        (await _api.RunAsync(vm, "mkdir -p ~/a/b && cd ~/a/b && export ONE=1 && LOCAL=not-exported")).Succeeded();
        RunResult next = (await _api.RunAsync(vm, "pwd; echo $ONE")).Succeeded();

        Assert.Equal("/home/user/a/b\n1\n", next.StdoutText);
        Assert.Equal("/home/user/a/b", next.Cwd);
    }

    [Fact]
    public async Task Run_Sessions_AreIndependent_AndAcceptIntegerOrStringIds()
    {
        string vm = await _api.ForkAsync();

        (await _api.RunAsync(vm, "cd /tmp && export WHO=one", sessionId: 1)).Succeeded();
        (await _api.RunAsync(vm, "cd /var && export WHO=two", sessionId: "two")).Succeeded();

        RunResult one = await _api.RunAsync(vm, "echo $WHO; pwd", sessionId: "1");
        RunResult two = await _api.RunAsync(vm, "echo $WHO; pwd", sessionId: "two");
        RunResult zero = await _api.RunAsync(vm, "echo ${WHO:-none}; pwd");
        Assert.Equal("one\n/tmp\n", one.StdoutText);
        Assert.Equal("1", one.SessionId);
        Assert.Equal("two\n/var\n", two.StdoutText);
        Assert.Equal("none\n/home/user\n", zero.StdoutText);
    }

    [Fact]
    public async Task Run_ConcurrentRunInTheSameSession_IsVmBusy_OtherSessionsRunConcurrently()
    {
        string vm = await _api.ForkAsync();

        // Session a waits for session b to have run: both finish only if the sessions run at the same time.
        Task<RunResult> first = _api.RunAsync(vm, "touch ~/a-started; until [ -e ~/b-ran ]; do sleep 0.05; done; echo first", sessionId: "a", timeout: 60);
        await Eventually.UntilFileExistsAsync(_api, vm, "/home/user/a-started");
        ApiResponse busy = await _api.RunRawAsync(vm, "echo second", sessionId: "a");
        RunResult other = await _api.RunAsync(vm, "touch ~/b-ran; echo other", sessionId: "b");

        busy.Error(409, "vm_busy");
        Assert.Equal("other\n", other.StdoutText);
        Assert.Equal("first\n", (await first).StdoutText);
    }

    [Fact]
    public async Task Run_Timeout_KillsTheWholeProcessTree_ReturnsOutputSoFar()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "cd /tmp")).Succeeded();

        RunResult result = await _api.RunAsync(vm, "echo started; (sleep 6101 &); setsid sleep 6102 & nohup sleep 6103 >/dev/null 2>&1 & sleep 6104", timeout: 1);
        RunResult after = (await _api.RunAsync(vm, "pgrep -c sleep || true; pwd")).Succeeded();

        Assert.Equal(-1, result.ExitCode);
        Assert.Equal("started\n", result.StdoutText);
        Assert.Contains("timed out", result.StderrText);
        Assert.Equal("0\n/tmp\n", after.StdoutText);
        // Killed by the time the run returns; the kernel takes a moment to tear the namespace down.
        await Eventually.UntilAsync(() => HostProcesses.Count("sleep 6101", "sleep 6102", "sleep 6103", "sleep 6104") == 0, "the timed-out command's processes ending", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Run_ExitInTheCommand_EndsTheShell_AndTheNextRunStartsAFreshOneInTheSameCwd()
    {
        string vm = await _api.ForkAsync();
        (await _api.RunAsync(vm, "export KEPT=no")).Succeeded();

        RunResult exited = await _api.RunAsync(vm, "cd /var; echo bye; exit 42");
        RunResult next = await _api.RunAsync(vm, "pwd; echo ${KEPT:-fresh shell}");

        Assert.Equal((42, "bye\n", "/var"), (exited.ExitCode, exited.StdoutText, exited.Cwd));
        Assert.Equal("/var\nfresh shell\n", next.Succeeded().StdoutText);
    }

    [Fact]
    public async Task Run_StdinIsEmpty()
    {
        string vm = await _api.ForkAsync();

        RunResult result = (await _api.RunAsync(vm, "cat; echo done")).Succeeded();

        Assert.Equal("done\n", result.StdoutText);
    }

    [Fact]
    public async Task Run_OutputBeyondTheCap_IsTruncatedWithANote()
    {
        string vm = await _api.ForkAsync();

        RunResult result = (await _api.RunAsync(vm, "yes | head -c 17000000")).Succeeded();

        Assert.Equal(16 * 1024 * 1024, result.Stdout.Length);
        Assert.Contains("output truncated", result.StderrText);
    }

    [Fact]
    public async Task Run_OnDeletedVm_IsNotFound()
    {
        string vm = await _api.ForkAsync();
        (await _api.DeleteAsync($"/api/v1/vms/{vm}")).Ok();

        (await _api.RunRawAsync(vm, "true")).Error(404, "not_found");
    }
}
