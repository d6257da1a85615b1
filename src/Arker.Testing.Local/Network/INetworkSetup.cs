using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Network;

/// <summary>
/// What the gateway pool needs of this machine, given by the sandbox layer, which knows how the
/// server starts processes and enters namespaces (as root, or through its namespace helper).
/// </summary>
internal interface INetworkSetup
{
    /// <summary>Why VMs get no network of their own here (the host's is shared), or null.</summary>
    string? MissingPrerequisites();

    /// <summary>
    /// Makes a VM network: a new network namespace with its loopback, routes and nftables rules in
    /// place, held by the descriptor returned, with no process left in it. It blocks while it is
    /// made (a request to a helper process), so callers make it off their own thread.
    /// </summary>
    /// <exception cref="IOException">It could not be made; the message says why.</exception>
    SafeFileHandle MakeNamespace();

    /// <summary>Makes <paramref name="sockets"/> inside the network namespace <paramref name="network"/> refers to.</summary>
    Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets);
}
