using System.Globalization;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// How a VM network is set up (<c>vm-network.pl</c>): the mark and routing table that take its
/// datagrams back into the namespace for TPROXY, and the ports its firewall sends outbound TCP, DNS
/// and other datagrams to, where the gateway's sockets listen (see <see cref="PreparedNetwork"/>).
/// </summary>
internal readonly record struct VmNetworkLayout(int Mark, int Table, int TcpPort, int DnsPort, int UdpPort)
{
    /// <summary>Every VM network's: datagrams other than DNS marked 1, looked up in table 100.</summary>
    public static VmNetworkLayout Standard { get; } =
        new(Mark: 1, Table: 100, PreparedNetwork.ConnectionsPort, PreparedNetwork.LookupsPort, PreparedNetwork.DatagramsPort);

    /// <summary>The five numbers, in <c>set_up_vm_network</c>'s order.</summary>
    public IEnumerable<string> Fields => new[] { Mark, Table, TcpPort, DnsPort, UdpPort }.Select(number => number.ToString(CultureInfo.InvariantCulture));
}
