using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Arker.Testing.Local.Native;
using Arker.Testing.Local.Network;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// How this server makes VM networks: without root its namespace helper makes each one with no
/// process started (<see cref="MountNamespace.MakeNetwork"/>); as root a set-up process, started as
/// its sandboxes are, makes it and waits while the server takes hold of it. Sockets are made in its
/// mount namespace's way.
/// </summary>
internal sealed class NetworkSetup(SandboxLauncher launcher, MountNamespace space) : INetworkSetup
{
    private static readonly TimeSpan SetupPatience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EndPatience = TimeSpan.FromSeconds(5);

    public string? MissingPrerequisites() => launcher.NetworkPrerequisitesMissing();

    public async Task<SafeFileHandle> MakeNamespaceAsync() =>
        space.MakeNetwork(VmNetworkLayout.Standard) ?? await MakeInASetUpAsync();

    public Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets) => space.OpenSocketsAsync(network, sockets);

    /// <summary>
    /// Runs the set-up (sandbox-start.pl) in a new network namespace and holds the namespace by a
    /// descriptor while the set-up waits on its stdin, then lets it end.
    /// </summary>
    private async Task<SafeFileHandle> MakeInASetUpAsync()
    {
        Process setup = await ChildProcesses.StartAsync(launcher.CreateNetworkStartInfo(), makesItsOwnSession: true); // sandbox-start.pl
        try
        {
            using var patience = new CancellationTokenSource(SetupPatience);
            if (await setup.StandardOutput.ReadLineAsync(patience.Token) != "ready")
            {
                throw new IOException($"a VM network could not be made: {(await setup.StandardError.ReadToEndAsync(patience.Token)).Trim()}");
            }

            // The set-up is this process's child and has not ended (it waits on its stdin): the id is its own.
            int held = LibC.openat(LibC.AtFdCwd, $"/proc/{setup.Id}/ns/net", LibC.ORdOnly | LibC.OCloexec, 0);
            return held >= 0 ? new SafeFileHandle(held, ownsHandle: true) : throw new IOException($"a VM network could not be held: {LibC.Describe(LibC.LastError)}");
        }
        catch (OperationCanceledException ex)
        {
            throw new IOException($"a VM network was not made within {SetupPatience.TotalSeconds:0} s", ex);
        }
        finally
        {
            await ChildProcesses.EndAsync(setup, EndPatience); // it waits on its stdin
        }
    }
}
