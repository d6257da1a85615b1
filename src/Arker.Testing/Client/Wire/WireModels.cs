using System.Text.Json.Serialization;

namespace Arker.Testing.Client.Wire;

// Request and response bodies of the wire contract, snake_case through ArkerJsonContext.
// Every response may carry the error envelope, so every response type extends WireResponse.

internal class WireResponse
{
    public bool? Ok { get; set; }

    public WireError? Error { get; set; }
}

internal sealed class WireError
{
    public string? Code { get; set; }

    public string? Message { get; set; }

    /// <summary>The current API's correlation id, for a support request.</summary>
    public string? RequestId { get; set; }

    /// <summary>The current API's scheduling hint (also the <c>Retry-After</c> header).</summary>
    public long? RetryAfterSeconds { get; set; }

    /// <summary>The current API's account of work the failed request started, if any.</summary>
    public WireRecovery? Recovery { get; set; }
}

internal sealed class WireRecovery
{
    /// <summary><c>not_started</c>, <c>stopped</c>, <c>continuing</c> or <c>unknown</c>.</summary>
    public string? Work { get; set; }
}

internal sealed record ForkRequest(bool IsPublic, string? Name, string? Region, string? From);

internal sealed class ForkResponse : WireResponse
{
    public string? VmId { get; set; }
}

internal sealed record RunRequest(string Command, SessionId SessionId, double? Timeout);

internal sealed class RunResponse : WireResponse
{
    public string? Stdout { get; set; }

    public string? StdoutEncoding { get; set; }

    public string? Stderr { get; set; }

    public string? StderrEncoding { get; set; }

    public int ExitCode { get; set; }

    public double DurationMs { get; set; }

    [JsonConverter(typeof(StringOrNumberConverter))]
    public string? SessionId { get; set; }

    public string? Cwd { get; set; }
}

internal sealed record ReadRequest(string Path)
{
    public string Op { get; init; } = "read";
}

internal sealed record ExposePortRequest(int Port);

/// <summary>A VM stored in the local Arker server's base cache (a local extension).</summary>
internal sealed record CacheBaseRequest(string Name, string RecipeHash, string? Inputs);

internal sealed class CachedBaseResponse : WireResponse
{
    public string? Name { get; set; }

    public string? RecipeHash { get; set; }

    /// <summary>What provisioning read from this machine, as the fixtures recorded it (opaque to the server).</summary>
    public string? Inputs { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }
}

internal sealed class CachedBaseListResponse : WireResponse
{
    public List<CachedBaseResponse>? Bases { get; set; }
}

/// <summary>A VM's policy document (<c>PolicyDoc</c>); its rules are read by <see cref="NetworkPolicyJson"/>.</summary>
internal sealed class PolicyDocResponse : WireResponse
{
    public System.Text.Json.JsonElement Policies { get; set; }
}

internal sealed class ExposedPortResponse : WireResponse
{
    public int Port { get; set; }

    public string? Url { get; set; }
}

internal sealed record ForwardHostPortRequest(int Port, int? GuestPort);

internal sealed class HostPortResponse : WireResponse
{
    public string? GuestUrl { get; set; }
}

internal sealed record ManifestRequest(string Path)
{
    public string Op { get; init; } = "manifest";
}

internal sealed class ManifestResponse : WireResponse
{
    public string? Root { get; set; }

    public string? HashAlgo { get; set; }

    public List<ManifestEntryWire>? Entries { get; set; }

    public bool Truncated { get; set; }
}

internal sealed class ManifestEntryWire
{
    public string? Path { get; set; }

    public long Size { get; set; }

    public long Mode { get; set; }

    public string? Hash { get; set; }
}

internal sealed class ReadResponse : WireResponse
{
    public long Size { get; set; }

    public string? Content { get; set; }

    public string? Encoding { get; set; }

    public string? PresignedUrl { get; set; }
}

internal sealed record WriteRequest(IReadOnlyList<WriteEntry> Writes)
{
    public string Op { get; init; } = "write";
}

/// <summary>One write; <c>Content</c> is serialised as base64 straight from the bytes.</summary>
internal sealed record WriteEntry(string Path, long Size, string? UploadId = null, long? Start = null, long? End = null, ReadOnlyMemory<byte>? Content = null, bool? Presigned = null);

internal sealed class WriteResponse : WireResponse
{
    public List<WriteResult>? Results { get; set; }
}

internal sealed class WriteResult
{
    public bool Complete { get; set; }

    public bool Written { get; set; }

    public string? UploadId { get; set; }

    public string? PresignedUrl { get; set; }

    public WireError? Error { get; set; }
}

internal sealed class ListResponse : WireResponse
{
    public List<ListItem>? Items { get; set; }

    public int Total { get; set; }
}

internal sealed class ListItem
{
    public string? VmId { get; set; }

    public string? Name { get; set; }

    public string? BaseImage { get; set; }

    public string? Region { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(SessionIdConverter)])]
[JsonSerializable(typeof(WireResponse))]
[JsonSerializable(typeof(ForkRequest))]
[JsonSerializable(typeof(ForkResponse))]
[JsonSerializable(typeof(RunRequest))]
[JsonSerializable(typeof(RunResponse))]
[JsonSerializable(typeof(ReadRequest))]
[JsonSerializable(typeof(ReadResponse))]
[JsonSerializable(typeof(ExposePortRequest))]
[JsonSerializable(typeof(ExposedPortResponse))]
[JsonSerializable(typeof(PolicyDocResponse))]
[JsonSerializable(typeof(CacheBaseRequest))]
[JsonSerializable(typeof(CachedBaseResponse))]
[JsonSerializable(typeof(CachedBaseListResponse))]
[JsonSerializable(typeof(ForwardHostPortRequest))]
[JsonSerializable(typeof(HostPortResponse))]
[JsonSerializable(typeof(ManifestRequest))]
[JsonSerializable(typeof(ManifestResponse))]
[JsonSerializable(typeof(WriteRequest))]
[JsonSerializable(typeof(WriteResponse))]
[JsonSerializable(typeof(ListResponse))]
[JsonSerializable(typeof(CurrentForkRequest))]
[JsonSerializable(typeof(VmResponse))]
[JsonSerializable(typeof(VmListResponse))]
[JsonSerializable(typeof(RegionsResponse))]
[JsonSerializable(typeof(CurrentRunRequest))]
[JsonSerializable(typeof(CurrentRunResponse))]
[JsonSerializable(typeof(RunListResponse))]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(SessionResponse))]
internal sealed partial class ArkerJsonContext : JsonSerializerContext;
