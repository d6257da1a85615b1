using System.Security.Cryptography;
using Arker.Testing.Local;
using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Client;

/// <summary>The client against the server's fault injection: transient failures are retried, and only those.</summary>
/// <summary>Runs on both API generations: see the two classes at the end.</summary>
public abstract class RetryTests(LocalServer local, ArkerProtocol protocol)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task At20PercentFaults_AThousandMixedOperationsAllSucceed_WithNoBytesLostOrDoubled()
    {
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { FaultRate = 0.2, FaultSeed = 20 }, Cancellation);
        using ArkerClient arker = LocalServer.NewClient(server, protocol: protocol, configure: o =>
        {
            o.MaxAttempts = 8;
            o.RetryDelay = TimeSpan.FromMilliseconds(5);
            o.MaxRetryJitter = TimeSpan.FromMilliseconds(5);
        });
        Computer vm = await arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        var expected = new Dictionary<string, byte[]>();
        int operations = 1;

        for (int i = 0; operations < 1000; i++)
        {
            string path = $"/home/user/f{i % 50}";
            switch (i % 5)
            {
                case 0:
                case 1:
                    byte[] content = RandomNumberGenerator.GetBytes(i % 10 == 0 ? (5 * 1024 * 1024) + i : 100 + i);
                    await vm.Sync.WriteFileAsync(path, content, Cancellation);
                    expected[path] = content;
                    break;
                case 2:
                    if (expected.TryGetValue(path, out byte[]? written))
                    {
                        Assert.Equal(written, await vm.Sync.ReadFileAsync(path, Cancellation));
                    }

                    break;
                case 3:
                    RunResult r = await vm.RunAsync($"echo {i} >> ~/log; wc -l < ~/log", Cancellation);
                    Assert.Equal(0, r.ExitCode);
                    break;
                default:
                    Assert.True((await arker.ListAsync(cancellationToken: Cancellation)).Total >= 1);
                    break;
            }

            operations++;
        }

        // Runs may be retried after a dropped connection (and so run twice); files never double.
        foreach ((string path, byte[] content) in expected)
        {
            Assert.Equal(SHA256.HashData(content), SHA256.HashData(await vm.Sync.ReadFileAsync(path, Cancellation)));
        }
    }

    [Fact]
    public async Task At100PercentFaults_TheClientGivesUpAfterTheConfiguredAttempts_WithTheTransientError()
    {
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { FaultRate = 1, FaultSeed = 1 }, Cancellation);
        using var recorder = new RecordingHandler();
        using ArkerClient arker = LocalServer.NewClient(server, protocol: protocol, configure: o =>
        {
            o.MaxAttempts = 3;
            o.RetryDelay = TimeSpan.FromMilliseconds(5);
            o.HttpMessageHandler = recorder;
        });

        var error = await Assert.ThrowsAsync<ArkerException>(() => arker.ListAsync(cancellationToken: Cancellation));

        Assert.True(error.IsTransient, error.ToString());
        Assert.Equal(3, recorder.Requests.Count);
        Assert.Equal(3, error.Attempts);
        Assert.EndsWith("(gave up after 3 attempts)", error.Message);
    }

    [Fact]
    public async Task AnErrorThatIsNotTransient_IsThrownAtOnce_AfterOneAttempt()
    {
        using var recorder = new RecordingHandler();
        using ArkerClient arker = LocalServer.NewClient(local.Server, protocol: protocol, configure: o => o.HttpMessageHandler = recorder);

        var error = await Assert.ThrowsAsync<ArkerException>(() => arker.Vm("01KQBYKEV5WJ7YB010603T1DCX_lcl").RunAsync("true", Cancellation));

        Assert.Equal("not_found", error.Code);
        Assert.Equal(1, error.Attempts);
        Assert.Single(recorder.Requests);
        Assert.DoesNotContain("gave up", error.Message);
    }

    [Fact]
    public async Task RetryWaits_GoThroughTheTimeProvider_DoublingEachTime()
    {
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { FaultRate = 1, FaultSeed = 2 }, Cancellation);
        var clock = new RecordingTimeProvider();
        using ArkerClient arker = LocalServer.NewClient(server, protocol: protocol, configure: o =>
        {
            o.MaxAttempts = 4;
            o.RetryDelay = TimeSpan.FromMilliseconds(40);
            o.MaxRetryJitter = TimeSpan.FromMilliseconds(10);
            o.RequestTimeout = Timeout.InfiniteTimeSpan;
            o.TimeProvider = clock;
        });

        await Assert.ThrowsAsync<ArkerException>(() => arker.ListAsync(cancellationToken: Cancellation));

        TimeSpan[] waits = [.. clock.Timers.Where(t => t != Timeout.InfiniteTimeSpan)];
        Assert.Equal(3, waits.Length);
        Assert.InRange(waits[0].TotalMilliseconds, 40, 50);
        Assert.InRange(waits[1].TotalMilliseconds, 80, 90);
        Assert.InRange(waits[2].TotalMilliseconds, 160, 170);
    }

    [Fact]
    public async Task Cancellation_StopsARetryWaitAtOnce()
    {
        await using var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { FaultRate = 1, FaultSeed = 3 }, Cancellation);
        using ArkerClient arker = LocalServer.NewClient(server, protocol: protocol, configure: o => o.RetryDelay = TimeSpan.FromMinutes(5));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => arker.ListAsync(cancellationToken: cancel.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }
}

public sealed class RetryTestsOnTheCurrentApi(LocalServer local) : RetryTests(local, ArkerProtocol.Current);

public sealed class RetryTestsOnApi01(LocalServer local) : RetryTests(local, ArkerProtocol.V01);
