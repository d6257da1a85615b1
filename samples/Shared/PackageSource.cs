using Arker.Testing.Assertions;
using Arker.Testing.Client;

namespace Arker.Testing.Samples;

/// <summary>
/// Where a template's <c>apt-get</c> finds packages. By default, the image's own sources (the
/// distribution's archive, through the VM's network). Where no archive is reachable (this
/// repository's CI reaches nothing beyond the loopback address), <c>ARKER_SAMPLES_APT_REPOSITORY</c>
/// names a repository this machine serves on a port of its loopback address, which the VM reaches
/// as <c>host.arker.internal</c> through an allow rule for that port alone.
/// </summary>
public static class PackageSource
{
    public const string Variable = "ARKER_SAMPLES_APT_REPOSITORY";

    public static async Task UseAsync(Computer vm, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } port)
        {
            return;
        }

        await vm.SetNetworkPolicyAsync(new NetworkPolicy([NetworkRule.AllowOutbound("host.arker.internal", int.Parse(port, System.Globalization.CultureInfo.InvariantCulture))]), cancellationToken);
        (await vm.RunAsync(
            $"sudo rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* && echo 'deb [trusted=yes] http://host.arker.internal:{port}/ ./' | sudo tee /etc/apt/sources.list.d/local.list >/dev/null",
            cancellationToken)).ShouldSucceed();
    }
}
