using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Arker.Testing.Local.Network;

namespace Arker.Testing.Local.Isolation;

/// <summary>How this server makes VM networks: set-ups started as its sandboxes are, sockets made in its mount namespace's way.</summary>
internal sealed class NetworkSetup(SandboxLauncher launcher, MountNamespace space) : INetworkSetup
{
    private static readonly TimeSpan EndPatience = TimeSpan.FromSeconds(5);

    public string? MissingPrerequisites() => launcher.NetworkPrerequisitesMissing();

    public Task<Process> StartAsync() => ChildProcesses.StartAsync(launcher.CreateNetworkStartInfo(), makesItsOwnSession: true); // sandbox-start.pl

    public Task EndAsync(Process setup) => ChildProcesses.EndAsync(setup, EndPatience);

    public Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets) => space.OpenSocketsAsync(network, sockets);
}
