using System.Diagnostics;
using Arker.Testing.Client;
using Arker.Testing.Fixtures;
using Arker.Testing.Xunit;
using Xunit;

namespace UserProject;

/// <summary>
/// The test of the benchmark: it writes a 1 KB file into its VM and reads it back with one
/// command. Each test but a class's first to run (which also waits for the class's base, and the
/// first class for the server) notes how long it waited for its VM (from its class's construction
/// to its body: the lease, or the shared VM) in the file <c>BENCH_SETUP_LOG</c> names, with its
/// class and case.
/// </summary>
public abstract class OneKilobyteTests : ArkerTest
{
    private static readonly Lock Log = new();
    private static readonly HashSet<Type> Started = [];
    private readonly long _constructed = Stopwatch.GetTimestamp();

    public static TheoryData<int> Cases(int count) => [.. Enumerable.Range(0, count)];

    protected async Task WriteAndReadBackAsync(int i)
    {
        TimeSpan setup = Stopwatch.GetElapsedTime(_constructed);
        lock (Log)
        {
            if (!Started.Add(GetType()))
            {
                File.AppendAllText(Environment.GetEnvironmentVariable("BENCH_SETUP_LOG")!, $"{GetType().Name} {i} {setup.TotalMilliseconds:0.000}\n");
            }
        }

        await Vm.Sync.WriteFileAsync($"/home/user/file-{i}.txt", new string('x', 1024), CancellationToken);
        RunResult read = await Vm.RunAsync($"wc -c < ~/file-{i}.txt", CancellationToken);
        Assert.Equal("1024", read.StdoutText.Trim());
    }
}

/// <summary>Fifty tests one after the other.</summary>
public abstract class FiftyTests : OneKilobyteTests
{
    [Theory]
    [MemberData(nameof(Cases), 50)]
    public Task Test(int i) => WriteAndReadBackAsync(i);
}

/// <summary>Twenty-five tests; four such classes run in parallel.</summary>
public abstract class TwentyFiveTests : OneKilobyteTests
{
    [Theory]
    [MemberData(nameof(Cases), 25)]
    public Task Test(int i) => WriteAndReadBackAsync(i);
}

[ArkerVm] public sealed class SerialForkPerTest : FiftyTests;
[ArkerVm(ShareVm = true)] public sealed class SerialSharedVm : FiftyTests;

[ArkerVm] public sealed class ParallelForkPerTest1 : TwentyFiveTests;
[ArkerVm] public sealed class ParallelForkPerTest2 : TwentyFiveTests;
[ArkerVm] public sealed class ParallelForkPerTest3 : TwentyFiveTests;
[ArkerVm] public sealed class ParallelForkPerTest4 : TwentyFiveTests;
[ArkerVm(ShareVm = true)] public sealed class ParallelSharedVm1 : TwentyFiveTests;
[ArkerVm(ShareVm = true)] public sealed class ParallelSharedVm2 : TwentyFiveTests;
[ArkerVm(ShareVm = true)] public sealed class ParallelSharedVm3 : TwentyFiveTests;
[ArkerVm(ShareVm = true)] public sealed class ParallelSharedVm4 : TwentyFiveTests;
