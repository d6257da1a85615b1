namespace Arker.Testing.Client.Wire;

// Request and response bodies of the current Arker API (docs/contracts/arker-openapi.json), snake_case
// through ArkerJsonContext. Only the fields the client reads are declared.

internal sealed record CurrentForkRequest(string? SourceVmId, string? SourceVmName, string? Name, bool? Public, string? Image = null);

internal sealed class VmResponse : WireResponse
{
    public string? VmId { get; set; }

    public string? Name { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string? Region { get; set; }

    public string? Provider { get; set; }

    public string? RootSourceVmName { get; set; }
}

internal sealed class VmListResponse : WireResponse
{
    public List<VmResponse>? Vms { get; set; }

    public string? NextCursor { get; set; }
}

internal sealed class RegionsResponse : WireResponse
{
    public List<RegionPlacement>? Regions { get; set; }
}

internal sealed class RegionPlacement
{
    public string? Provider { get; set; }

    public string? Region { get; set; }

    public string? Endpoint { get; set; }
}

internal sealed record CurrentRunRequest(string Command, string? SessionId, int? SessionIdx, long? Timeout, long TimeToBackground);

/// <summary>A run as the current API answers it: finished (200, or a poll), or still running (202, with its id).</summary>
internal sealed class CurrentRunResponse : WireResponse
{
    public string? RunId { get; set; }

    public string? SessionId { get; set; }

    public string? State { get; set; }

    public string? Stdout { get; set; }

    public string? StdoutEncoding { get; set; }

    public string? Stderr { get; set; }

    public string? StderrEncoding { get; set; }

    public int? ExitCode { get; set; }

    public string? FailReason { get; set; }

    public bool IsFinished => State is not ("running" or "pending");
}

internal sealed class RunListResponse : WireResponse
{
    public List<CurrentRunResponse>? Runs { get; set; }
}

internal sealed record CreateSessionRequest;

internal sealed class SessionResponse : WireResponse
{
    public string? SessionId { get; set; }
}
