using System.Net.Sockets;
using System.Runtime.InteropServices;
using Arker.Testing.Local.Native;
using Arker.Testing.Local.Network;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// How this server makes VM networks: its namespace helper makes each one, with no process started
/// (<see cref="MountNamespace.MakeNetwork"/>); sockets are made in its mount namespace's way.
/// </summary>
internal sealed class NetworkSetup(SandboxLauncher launcher, MountNamespace space) : INetworkSetup
{
    public string? MissingPrerequisites() => launcher.NetworkPrerequisitesMissing();

    public SafeFileHandle MakeNamespace() => space.MakeNetwork(VmNetworkLayout.Standard);

    public Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets) => space.OpenSocketsAsync(network, sockets);
}
