using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Network;

/// <summary>
/// A VM network made ahead of its VM (see <see cref="GatewayPool"/>): a network namespace of its
/// own with its loopback, routes and nftables rules, held by an open descriptor of it, and the
/// sockets the VM's <see cref="OutboundGateway"/> serves it from, made inside it. No process
/// belongs to it: the descriptor and the sockets keep the namespace alive, and disposing lets it go.
/// </summary>
internal sealed class PreparedNetwork : IDisposable
{
    /// <summary>The VM's port where its outbound TCP connections are redirected.</summary>
    public const int ConnectionsPort = 1;

    /// <summary>The VM's port where its DNS queries are redirected.</summary>
    public const int LookupsPort = 53;

    /// <summary>The VM's port where its other datagrams are diverted (TPROXY).</summary>
    public const int DatagramsPort = 2;

    /// <summary>What the gateway needs inside the namespace, in this order.</summary>
    public static readonly VmSocket[] GatewaySockets =
        [new(VmSocketKind.Listener, ConnectionsPort), new(VmSocketKind.Datagram, LookupsPort), new(VmSocketKind.TransparentDatagram, DatagramsPort), new(VmSocketKind.RawSender)];

    private readonly SafeFileHandle _namespace;

    public PreparedNetwork(SafeFileHandle networkNamespace, Socket[] gatewaySockets)
    {
        _namespace = networkNamespace;
        (Connections, Lookups, Datagrams, Answers) = (gatewaySockets[0], gatewaySockets[1], gatewaySockets[2], gatewaySockets[3]);
    }

    /// <summary>The network namespace, held open.</summary>
    public SafeFileHandle Namespace => _namespace;

    /// <summary>Listens on the VM's 127.0.0.1:1, where its outbound TCP connections are redirected.</summary>
    public Socket Connections { get; }

    /// <summary>Bound to the VM's 127.0.0.1:53, where its DNS queries are redirected.</summary>
    public Socket Lookups { get; }

    /// <summary>Bound, transparently, to the VM's 127.0.0.1:2, where its other datagrams are diverted with their destination.</summary>
    public Socket Datagrams { get; }

    /// <summary>Sends the VM the answers of its UDP flows, each from the address and port the VM meant.</summary>
    public Socket Answers { get; }

    public void Dispose()
    {
        Connections.Dispose();
        Lookups.Dispose();
        Datagrams.Dispose();
        Answers.Dispose();
        _namespace.Dispose();
    }
}
