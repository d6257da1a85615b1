using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Network;
using Microsoft.Win32.SafeHandles;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Sandbox;

/// <summary>
/// A VM network's firewall is loaded through netfilter's netlink (<c>vm-network.pl</c>, run by
/// the namespace helper, as root and without), with no <c>nft</c> run: what it
/// loads must be exactly what nft loads from the rules written out below, as <c>nft list
/// ruleset</c> prints both. Root and rootless; the firewall's effect is <see cref="OutboundPolicyTests"/>'.
/// </summary>
public sealed class VmFirewallTests : IAsyncLifetime
{
    private static readonly string Rules = $$"""
        table ip arker {
          chain steer {
            type nat hook output priority -100; policy accept;
            ip daddr 127.0.0.0/8 return
            udp dport 53 redirect to :{{PreparedNetwork.LookupsPort}}
            meta l4proto tcp redirect to :{{PreparedNetwork.ConnectionsPort}}
          }
          chain mark_datagrams {
            type route hook output priority mangle; policy accept;
            ip daddr != 127.0.0.0/8 udp dport != 53 meta mark set 1
          }
          chain divert_datagrams {
            type filter hook prerouting priority mangle; policy accept;
            meta l4proto udp meta mark 1 tproxy to 127.0.0.1:{{PreparedNetwork.DatagramsPort}}
          }
          chain refuse_others {
            type filter hook output priority 0; policy accept;
            ct status dnat accept
            meta mark 1 accept
            ip daddr != 127.0.0.0/8 reject with icmp type admin-prohibited
          }
        }

        """;

    private MountNamespace _space = null!;

    public async ValueTask InitializeAsync() =>
        _space = Environment.IsPrivilegedProcess ? new HostMountNamespace() : await UserMountNamespace.StartAsync();

    [Fact]
    public async Task AVmNetwork_HasTheFirewallNftLoadsFromItsRules_WithoutNft()
    {
        (string bwrap, string perl) = SandboxPrerequisites.Check();
        var setup = new NetworkSetup(new SandboxLauncher(bwrap, perl, [], shareNetwork: false, _space), _space);
        using SafeFileHandle made = setup.MakeNamespace();
        string network = $"/proc/{Environment.ProcessId}/fd/{made.DangerousGetHandle()}";
        // Without root the namespace belongs to the server's user namespace: enter that first.
        string[] user = [.. _space.NamespacesToEnter(null).Where(entry => entry.StartsWith("user:", StringComparison.Ordinal)).Select(entry => $"--user={entry[5..]}"), "--preserve-credentials"];
        (int listed, string byTheSetUp) = await ProgramRun.ToEndAsync("nsenter", [.. Environment.IsPrivilegedProcess ? [] : user, $"--net={network}", Nft, "list", "ruleset"]);
        (int loaded, string byNft) = await ProgramRun.ToEndAsync("unshare", ["--map-root-user", "--net", "sh", "-c", $"{Nft} -f - && {Nft} list ruleset"], Rules);

        Assert.True(loaded == 0, byNft);
        Assert.True(listed == 0, byTheSetUp);
        Assert.Contains("tproxy to 127.0.0.1:", byNft, StringComparison.Ordinal);
        Assert.Equal(byNft, byTheSetUp);
    }

    public async ValueTask DisposeAsync() => await _space.DisposeAsync();

    private static string Nft => File.Exists("/usr/sbin/nft") ? "/usr/sbin/nft" : "nft";
}
