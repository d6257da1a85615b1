using Arker.Testing.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Tests.Client;

/// <summary>Runs on both API generations: see the two classes at the end.</summary>
public abstract class DiagnosticsTests(LocalServer local, ArkerProtocol protocol)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryRequest_IsLoggedAtDebug_WithoutTheKeyOrFileContents()
    {
        var logs = new CapturingLoggerFactory();
        using ArkerClient arker = local.NewClient(protocol: protocol, configure: o => o.LoggerFactory = logs);
        const string Secret = "file-contents-that-must-not-be-logged";
        Computer vm = await arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

        await vm.Sync.WriteFileAsync("/home/user/secret.txt", Secret, Cancellation);
        await vm.Sync.WriteFileAsync("/home/user/big.bin", new byte[5 * 1024 * 1024], Cancellation);
        await vm.Sync.ReadFileAsync("/home/user/secret.txt", Cancellation);
        await vm.RunAsync("echo " + Secret.Length, Cancellation);

        var lines = logs.Lines.ToArray();
        Assert.All(lines, l => Assert.Equal(LogLevel.Debug, l.Level));
        string run = protocol == ArkerProtocol.V01 ? $"POST /api/v1/vms/{vm.Id}/run" : $"POST /v1/vms/{vm.Id}/runs";
        Assert.Contains(lines, l => l.Message.StartsWith($"{run} → 200 (attempt 1) in ", StringComparison.Ordinal));
        Assert.Contains(lines, protocol == ArkerProtocol.V01
            ? l => l.Message.StartsWith("PUT /presigned/uploads/", StringComparison.Ordinal) && l.Message.Contains("→ 200", StringComparison.Ordinal) // 5 MiB: presigned
            : l => l.Message.StartsWith($"POST /v1/vms/{vm.Id}/sync → 200 (attempt 1)", StringComparison.Ordinal)); // 5 MiB: two chunks
        Assert.DoesNotContain(lines, l => l.Message.Contains(local.Server.ApiKey, StringComparison.Ordinal)
            || l.Message.Contains(Secret, StringComparison.Ordinal)
            || l.Message.Contains("signature", StringComparison.Ordinal));
    }
}

public sealed class DiagnosticsTestsOnTheCurrentApi(LocalServer local) : DiagnosticsTests(local, ArkerProtocol.Current);

public sealed class DiagnosticsTestsOnApi01(LocalServer local) : DiagnosticsTests(local, ArkerProtocol.V01);
