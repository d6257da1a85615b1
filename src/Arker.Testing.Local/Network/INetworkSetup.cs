using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

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
    /// Starts the set-up of a VM network: a process in a new network namespace with its loopback,
    /// route and nftables rules in place, which says <c>ready</c> and then waits on its stdin.
    /// </summary>
    Task<Process> StartAsync();

    /// <summary>Ends a set-up once its namespace is held: closes its stdin, then reaps it (killing it if it lingers).</summary>
    Task EndAsync(Process setup);

    /// <summary>Makes <paramref name="sockets"/> inside the network namespace <paramref name="network"/> refers to.</summary>
    Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets);
}
