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
    /// <summary>What making VM networks needs that this machine lacks (<c>ip</c>, <c>nft</c>), or null.</summary>
    string? MissingPrerequisites();

    /// <summary>
    /// Starts the set-up of a VM network: a process in a new network namespace with its loopback
    /// and routes in place, which says <c>ready</c> and then waits on its stdin for its firewall rules.
    /// </summary>
    Task<Process> StartAsync();

    /// <summary>
    /// Gives a set-up that said <c>ready</c> its rules, and waits until they are loaded.
    /// </summary>
    /// <exception cref="IOException">They were refused; the message has the reason.</exception>
    Task LoadRulesAsync(Process setup);

    /// <summary>Ends a set-up once its namespace is held: closes its stdin, then reaps it (killing it if it lingers).</summary>
    Task EndAsync(Process setup);

    /// <summary>Makes <paramref name="sockets"/> inside the network namespace <paramref name="network"/> refers to.</summary>
    Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets);
}
