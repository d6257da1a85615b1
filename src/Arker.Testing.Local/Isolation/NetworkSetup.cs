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

    public async Task LoadRulesAsync(Process setup)
    {
        await setup.StandardInput.WriteAsync(SandboxLauncher.NetworkRules);
        setup.StandardInput.Close();
        using var patience = new CancellationTokenSource(EndPatience);
        Task<string> errors = setup.StandardError.ReadToEndAsync(patience.Token);
        try
        {
            await setup.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            throw new IOException($"nft did not load a VM network's rules within {EndPatience.TotalSeconds:0} s");
        }

        if (setup.ExitCode != 0)
        {
            throw new IOException($"nft refused a VM network's rules (exit code {setup.ExitCode}): {(await errors).Trim()}");
        }
    }

    public Task EndAsync(Process setup) => ChildProcesses.EndAsync(setup, EndPatience);

    public Task<Socket[]> OpenSocketsAsync(SafeHandle network, VmSocket[] sockets) => space.OpenSocketsAsync(network, sockets);
}
