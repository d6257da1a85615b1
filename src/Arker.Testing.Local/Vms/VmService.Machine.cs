using Arker.Testing.Local.Network;

namespace Arker.Testing.Local.Vms;

/// <summary>
/// What the API may do inside a VM's machine — its network policy, the ports it exposes or is
/// offered, its sessions, whether it is busy — asked here and answered in the API's own terms,
/// so that nothing above this layer reaches into the sandbox.
/// </summary>
internal sealed partial class VmService
{
    /// <summary>The session a run without a session names.</summary>
    public const string DefaultSession = Sandbox.VmSandbox.DefaultSession;

    /// <summary>Whether a command runs in the VM now.</summary>
    public static bool IsRunning(VmRecord vm) => vm.Sandbox.IsRunning;

    public static NetworkPolicy PolicyOf(VmRecord vm) => vm.Sandbox.Policy;

    /// <summary>Sets the policy of a VM that has not run yet (a new fork): it starts with it.</summary>
    public static void StartWithPolicy(VmRecord vm, NetworkPolicy policy) => vm.Sandbox.Policy = policy;

    /// <summary>Applies a policy to a VM, closing the exposed ports it no longer allows.</summary>
    public static Task ApplyPolicyAsync(VmRecord vm, NetworkPolicy policy) => vm.Sandbox.ApplyPolicyAsync(policy);

    public static async Task<ExposedPortLink> ExposePortAsync(VmRecord vm, int guestPort, CancellationToken cancellationToken) =>
        ExposedPortLink.Of(await vm.Sandbox.ExposePortAsync(guestPort, cancellationToken));

    public static IReadOnlyList<ExposedPortLink> ExposedPorts(VmRecord vm) => [.. vm.Sandbox.PortLinks.Exposed.Select(ExposedPortLink.Of)];

    /// <summary>Closes an exposed port; false when it was not exposed.</summary>
    public static Task<bool> CloseExposedPortAsync(VmRecord vm, int guestPort) => vm.Sandbox.PortLinks.CloseExposedAsync(guestPort);

    public static async Task<HostPortLink> ForwardHostPortAsync(VmRecord vm, int hostPort, int guestPort, CancellationToken cancellationToken) =>
        HostPortLink.Of(await vm.Sandbox.ForwardHostPortAsync(hostPort, guestPort, cancellationToken));

    public static IReadOnlyList<HostPortLink> HostPorts(VmRecord vm) => [.. vm.Sandbox.PortLinks.Forwards.Select(HostPortLink.Of)];

    /// <summary>Stops offering a host port at a guest port; false when none was offered there.</summary>
    public static Task<bool> CloseHostPortAsync(VmRecord vm, int guestPort) => vm.Sandbox.PortLinks.CloseForwardAsync(guestPort);

    public static IReadOnlyList<VmSessionState> Sessions(VmRecord vm) => [.. vm.Sandbox.Sessions.Select(s => VmSessionState.Of(s.Key, s.Value))];

    /// <summary>The session with this id, or null.</summary>
    public static VmSessionState? Session(VmRecord vm, string id) => Sessions(vm).FirstOrDefault(s => s.Id == id);

    public static VmSessionState CreateSession(VmRecord vm, string id, string cwd, IReadOnlyDictionary<string, string>? environment) =>
        VmSessionState.Of(id, vm.Sandbox.CreateSession(id, cwd, environment));

    public static bool HasSession(VmRecord vm, string id) => vm.Sandbox.HasSession(id);

    /// <summary>The id of the session with <paramref name="index"/>; a number no session has yet names a new one, made on its first run.</summary>
    public static string SessionIdAt(VmRecord vm, int index) => vm.Sandbox.SessionIdAt(index);

    public static Task DeleteSessionAsync(VmRecord vm, string id) => vm.Sandbox.DeleteSessionAsync(id);
}

/// <summary>A guest port exposed on this machine: the URL that reaches it.</summary>
internal sealed record ExposedPortLink(int GuestPort, Uri Url)
{
    public static ExposedPortLink Of(Network.ExposedPort port) => new(port.GuestPort, port.Url);
}

/// <summary>A port of this machine offered to a VM at a guest port.</summary>
internal sealed record HostPortLink(int HostPort, int GuestPort, Uri GuestUrl)
{
    public static HostPortLink Of(Network.HostPortForward forward) => new(forward.HostPort, forward.GuestPort, forward.GuestUrl);
}

/// <summary>A session of a VM as it is now.</summary>
internal sealed record VmSessionState(string Id, int Index, bool IsRunning, string Cwd, IReadOnlyDictionary<string, string>? Environment)
{
    public static VmSessionState Of(string id, Sessions.SessionSlot slot) => new(id, slot.Index, slot.IsRunning, slot.Cwd, slot.Environment);
}
