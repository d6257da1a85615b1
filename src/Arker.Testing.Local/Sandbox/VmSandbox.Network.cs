using Arker.Testing.Local.Network;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Sandbox;

/// <summary>A VM's network seen from its sandbox: its policy, and the port links that need its namespace.</summary>
internal sealed partial class VmSandbox
{
    /// <summary>Replaces the VM's network policy; its gateway applies it from the next connection, and exposed ports it no longer allows close.</summary>
    public async Task ApplyPolicyAsync(NetworkPolicy policy)
    {
        Policy = policy;
        foreach (ExposedPort exposed in PortLinks.Exposed.Where(port => !policy.AllowsInbound(port.GuestPort)))
        {
            await PortLinks.CloseExposedAsync(exposed.GuestPort);
        }
    }

    /// <summary>The VM's port links: guest ports exposed to this machine, host ports offered to it.</summary>
    public VmPortLinks PortLinks { get; }

    /// <summary>
    /// Makes the guest's <paramref name="guestPort"/> reachable from this machine (see
    /// <see cref="ExposedPort"/>); the same port again answers the same URL. The VM's network is
    /// made first if no command ran in it yet.
    /// </summary>
    public async Task<ExposedPort> ExposePortAsync(int guestPort, CancellationToken cancellationToken) =>
        Policy.AllowsInbound(guestPort)
            ? await PortLinks.ExposeAsync(await NetworkAsync(cancellationToken), guestPort, cancellationToken)
            : throw LocalArkerException.Forbidden($"the VM's network policy does not expose guest port {guestPort}: add an inbound allow rule for it (PUT /v1/vms/{{id}}/policies)");

    /// <summary>
    /// Offers this machine's <paramref name="hostPort"/> to the VM at its 127.0.0.1:<paramref name="guestPort"/>
    /// (see <see cref="HostPortForward"/>).
    /// </summary>
    public async Task<HostPortForward> ForwardHostPortAsync(int hostPort, int guestPort, CancellationToken cancellationToken) =>
        await PortLinks.ForwardAsync(await NetworkAsync(cancellationToken), hostPort, guestPort, cancellationToken);

    /// <summary>The VM's network namespace, made first (by a no-op in the default session) if no command ran yet.</summary>
    private async Task<SafeFileHandle> NetworkAsync(CancellationToken cancellationToken)
    {
        if (_factory.Networking.SharesHostNetwork)
        {
            throw LocalArkerException.InvalidInput("this server's VMs share the host's network (--share-network): host and guest ports are the same already");
        }

        if (!await _network.PrepareAsync())
        {
            await RunAsync(DefaultSession, "true", TimeSpan.FromSeconds(30), cancellationToken);
        }

        return _network.Namespace ?? throw LocalArkerException.InvalidInput("the VM's network could not be made: run a command in it, then try again");
    }
}
