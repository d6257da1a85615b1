using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Sandbox;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// When a machine refuses an unprivileged user namespace, the message names the setting that did
/// it and the command that allows it (this machine allows them, so the settings are given here).
/// </summary>
public sealed class UserNamespacePolicyTests
{
    [Theory]
    [InlineData("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1", "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")]
    [InlineData("/proc/sys/kernel/unprivileged_userns_clone", "0", "sudo sysctl -w kernel.unprivileged_userns_clone=1")]
    [InlineData("/proc/sys/user/max_user_namespaces", "0", "sudo sysctl -w user.max_user_namespaces=15000")]
    public void AForbiddingSetting_IsNamed_WithItsFix(string setting, string value, string fix)
    {
        string message = UserNamespacePolicy.Explain("unshare: unshare failed: Operation not permitted", path => path == setting ? value : null);

        Assert.StartsWith("Without root, the local Arker server runs its VMs in a user namespace of your own, and this machine refused to make one", message);
        Assert.Contains(fix, message);
        Assert.Contains("or run as root", message);
    }

    [Fact]
    public void WithNoKnownSetting_TheErrorItselfIsShown_WithACheckToRun()
    {
        string message = UserNamespacePolicy.Explain("unshare: write failed /proc/self/uid_map: Operation not permitted", _ => null);

        Assert.Contains("unshare: write failed /proc/self/uid_map", message);
        Assert.Contains("'unshare --user --map-root-user --mount true' must succeed", message);
    }
}
