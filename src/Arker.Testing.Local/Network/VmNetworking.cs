namespace Arker.Testing.Local.Network;

/// <summary>
/// How this server gives its VMs networks, decided once at start-up: the host's network shared
/// (<c>--share-network</c>), a namespace per VM with its loopback only, or a namespace per VM
/// taken ready from the <see cref="GatewayPool"/> with an <see cref="OutboundGateway"/> that lets
/// it out as its policy allows. Makes each VM's <see cref="VmNetwork"/> and <see cref="VmPortLinks"/>.
/// </summary>
internal sealed class VmNetworking : IDisposable
{
    private readonly INetworkSetup _setup;
    private readonly GatewayPool? _gateways;
    private readonly GatewaySettings _gatewaySettings;

    private VmNetworking(INetworkSetup setup, GatewayPool? gateways, GatewaySettings gatewaySettings, bool sharesHostNetwork, string description)
    {
        _setup = setup;
        _gateways = gateways;
        _gatewaySettings = gatewaySettings;
        SharesHostNetwork = sharesHostNetwork;
        Description = description;
    }

    /// <summary>Whether VMs share the host's network instead of one of their own each.</summary>
    public bool SharesHostNetwork { get; }

    /// <summary>A one-line account of the VMs' networks, for the start-up log and <c>/healthz</c>.</summary>
    public string Description { get; }

    /// <summary>What a policy's readers should know: why rules have no effect here, if they have none.</summary>
    public IReadOnlyList<string> Warnings => _gateways is null ? [$"outbound rules have no effect on this server: {Description}"] : [];

    public static async Task<VmNetworking> StartAsync(INetworkSetup setup, bool shareHostNetwork, NetworkAccess defaultAccess, HostLookup lookup, TimeProvider clock, ILogger logger)
    {
        var settings = new GatewaySettings(defaultAccess, lookup, clock, logger);
        if (shareHostNetwork)
        {
            return new(setup, null, settings, sharesHostNetwork: true, "the host's network, shared (--share-network): VMs reach everything this machine does, the server's API included");
        }

        if (defaultAccess == NetworkAccess.Off)
        {
            return new(setup, null, settings, sharesHostNetwork: false, "one namespace per VM with its loopback only (network off)");
        }

        (GatewayPool? gateways, string? reason) = await GatewayPool.StartAsync(setup, logger);
        if (gateways is null)
        {
            logger.LogWarning("VMs have no way out, only their own loopback: {Reason}", reason);
            return new(setup, null, settings, sharesHostNetwork: false, $"one namespace per VM with its loopback only ({reason})");
        }

        return new(setup, gateways, settings, sharesHostNetwork: false,
            $"one namespace per VM; TCP, UDP and DNS out through the server by the VM's policy (empty policy: {(defaultAccess == NetworkAccess.Open ? "open" : "closed")}), never to this machine unless a rule names the port");
    }

    /// <summary>A new VM's network; its gateway reads <paramref name="policy"/> at each connection and lookup.</summary>
    public VmNetwork CreateNetwork(Func<NetworkPolicy> policy) =>
        new(enabled: !SharesHostNetwork, _gateways is null ? null : async () => new OutboundGateway(await _gateways.TakeAsync(), policy, _gatewaySettings));

    /// <summary>A new VM's port links, whose sockets are made inside the VM's network.</summary>
    public VmPortLinks CreatePortLinks() => new(_setup);

    public void Dispose() => _gateways?.Dispose();
}
