namespace Arker.Testing.Tests.Client;

/// <summary>
/// The contract's retry rule, on the failure alone: a transient status or code is retried only
/// while the service says it started no work (<c>recovery.work</c> absent or <c>not_started</c>).
/// </summary>
public sealed class TransientFailureTests
{
    [Theory]
    [InlineData(503, "unavailable", null, true)]
    [InlineData(503, "unavailable", "not_started", true)]
    [InlineData(503, "unavailable", "continuing", false)]
    [InlineData(504, "gateway_timeout", "unknown", false)]
    [InlineData(409, "resource_busy", "stopped", false)]
    [InlineData(400, "bad_request", "not_started", false)]
    public void AFailureIsRetried_OnlyWhenTheServiceStartedNoWork(int status, string code, string? recoveryWork, bool retried)
    {
        var failure = new ArkerException(code, "the service said no", status) { RecoveryWork = recoveryWork };

        Assert.Equal(retried, failure.IsTransient);
    }
}
