using Arker.Testing.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Tests.Client;

public sealed class DiagnosticsTests(LocalServer local)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryRequest_IsLoggedAtDebug_WithoutTheKeyOrFileContents()
    {
        var logs = new CapturingLoggerFactory();
        using ArkerClient arker = local.NewClient(o => o.LoggerFactory = logs);
        const string Secret = "file-contents-that-must-not-be-logged";
        Computer vm = await arker.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);

        await vm.Sync.WriteFileAsync("/home/user/secret.txt", Secret, Cancellation);
        await vm.Sync.WriteFileAsync("/home/user/big.bin", new byte[5 * 1024 * 1024], Cancellation);
        await vm.Sync.ReadFileAsync("/home/user/secret.txt", Cancellation);
        await vm.RunAsync("echo " + Secret.Length, Cancellation);

        var lines = logs.Lines.ToArray();
        Assert.All(lines, l => Assert.Equal(LogLevel.Debug, l.Level));
        Assert.Contains(lines, l => l.Message.StartsWith($"POST /api/v1/vms/{vm.Id}/run → 200 (attempt 1) in ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Message.StartsWith("PUT /presigned/uploads/", StringComparison.Ordinal) && l.Message.Contains("→ 200", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Message.Contains(local.Server.ApiKey, StringComparison.Ordinal)
            || l.Message.Contains(Secret, StringComparison.Ordinal)
            || l.Message.Contains("signature", StringComparison.Ordinal));
    }
}
