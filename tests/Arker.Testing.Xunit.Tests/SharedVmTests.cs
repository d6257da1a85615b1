using Arker.Testing.Extensibility;

namespace Arker.Testing.Xunit.Tests;

/// <summary>[ArkerVm(ShareVm = true)]: the tests of a class share one VM, which outlives each of them.</summary>
public sealed class SharedVmTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_classs_tests_share_one_VM_which_a_failure_does_not_end_and_whose_transcript_it_attaches()
    {
        var attached = new List<string>();
        ArkerTestScope first = await ArkerTestScope.BeginAsync(Test(typeof(SharingTests), "first", attached), Cancellation);
        await first.Vm.RunAsync("echo one > ~/shared.txt", Cancellation);
        await first.EndAsync(testFailed: false);
        ArkerTestScope second = await ArkerTestScope.BeginAsync(Test(typeof(SharingTests), "second", attached), Cancellation);
        RunResult seen = await second.Vm.RunAsync("cat ~/shared.txt", Cancellation);
        await second.EndAsync(testFailed: true);
        RunResult afterTheFailure = await second.Vm.RunAsync("greet again", Cancellation);

        Assert.Equal(first.Vm.Id, second.Vm.Id);
        Assert.NotEqual(first.Base.Vm.Id, first.Vm.Id); // a fork of the base, never the base itself
        Assert.Equal("one\n", seen.StdoutText);
        Assert.Equal("hello, again\n", afterTheFailure.StdoutText); // the VM stays for the other tests
        string transcript = File.ReadAllText(Assert.Single(attached, file => file.EndsWith("transcript.txt", StringComparison.Ordinal)));
        Assert.Contains("$ echo one > ~/shared.txt\n", transcript, StringComparison.Ordinal);
        Assert.Contains("$ cat ~/shared.txt\n", transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_sharing_each_test_has_a_VM_of_its_own()
    {
        ArkerTestScope first = await ArkerTestScope.BeginAsync(Test(typeof(ForkingTests), "first", []), Cancellation);
        await first.Vm.RunAsync("echo one > ~/shared.txt", Cancellation);
        ArkerTestScope second = await ArkerTestScope.BeginAsync(Test(typeof(ForkingTests), "second", []), Cancellation);
        RunResult seen = await second.Vm.RunAsync("cat ~/shared.txt 2>/dev/null || echo nothing", Cancellation);
        await first.EndAsync(testFailed: false);
        await second.EndAsync(testFailed: false);

        Assert.NotEqual(first.Vm.Id, second.Vm.Id);
        Assert.Equal("nothing\n", seen.StdoutText);
    }

    private static TestInfo Test(Type testClass, string name, List<string> attached) => new()
    {
        TestClass = testClass,
        DisplayName = $"{testClass.Name}.{name}",
        WriteOutput = line => TestContext.Current.TestOutputHelper?.WriteLine(line),
        AddAttachment = (path, _) => attached.Add(path),
        CreateSkip = reason => new InvalidOperationException(reason),
    };

    [ArkerVm(typeof(EchoToolTemplate), ShareVm = true)]
    private sealed class SharingTests;

    [ArkerVm(typeof(EchoToolTemplate))]
    private sealed class ForkingTests;
}
