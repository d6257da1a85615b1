namespace Arker.Testing.Fixtures;

/// <summary>The network a test's VM gets (see <see cref="ArkerVmAttribute.Network"/>).</summary>
public enum ArkerNetwork
{
    /// <summary>The base's policy: the template's <see cref="VmTemplate.Network"/>, else the server's default.</summary>
    Inherit,

    /// <summary>Outbound open (<see cref="Client.NetworkPolicy.Open"/>); this machine stays out of a local VM's reach.</summary>
    Open,

    /// <summary>Nothing outbound (<see cref="Client.NetworkPolicy.Closed"/>): the VM's own loopback only.</summary>
    Closed,
}
