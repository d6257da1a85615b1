namespace Arker.Testing.Local;

/// <summary>Whether a VM whose policy is empty may reach out: the service's default (open), or not at all.</summary>
public enum NetworkAccess
{
    /// <summary>Outbound connections and DNS are open, as on the Arker service; this machine itself stays out of reach.</summary>
    Open,

    /// <summary>Nothing outbound: the VM has only its own loopback until a policy allows more.</summary>
    Closed,

    /// <summary>
    /// No way out at all, whatever a policy says: each VM has its own loopback only, and no
    /// gateway is made (the hermetic choice, and the cheapest). Exposed ports and host ports still work.
    /// </summary>
    Off,
}
