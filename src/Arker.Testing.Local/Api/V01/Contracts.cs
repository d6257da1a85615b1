using System.Text.Json.Serialization;

namespace Arker.Testing.Local.Api.V01;

// The response bodies of the wire contract (snake_case through ApiJsonContext).

internal sealed record ErrorBody(string Code, string Message);

internal sealed record ErrorEnvelope(ErrorBody Error)
{
    public bool Ok { get; init; }
}

internal sealed record HealthResponse(string Isolation)
{
    public bool Ok { get; init; } = true;
}

internal sealed record ForkResponse(
    string VmId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Name,
    string BaseImage,
    string Region,
    string ParentVmId,
    string CreatedAt,
    bool IsPublic)
{
    public bool Ok { get; init; } = true;
}

internal sealed record RunResponse(
    string Stdout, string StdoutEncoding, string Stderr, string StderrEncoding, int ExitCode, double DurationMs, string SessionId, string Cwd)
{
    public bool Ok { get; init; } = true;
}

internal sealed record ReadResponse(string Path, long Size, string? Content, string? Encoding, string? PresignedUrl, int? ExpiresIn, string? Method)
{
    public bool Ok { get; init; } = true;

    public string Op { get; init; } = "read";
}

internal sealed record WriteResult(
    string? Path,
    long? Size,
    bool? Complete,
    bool? Written,
    string? UploadId = null,
    string? PresignedUrl = null,
    int? ExpiresIn = null,
    string? Method = null,
    ErrorBody? Error = null);

internal sealed record WriteResponse(IReadOnlyList<WriteResult> Results)
{
    public bool Ok { get; init; } = true;

    public string Op { get; init; } = "write";
}

internal sealed record ListItem(
    string VmId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Name,
    string BaseImage,
    string Region,
    string CreatedAt);

internal sealed record ListResponse(IReadOnlyList<ListItem> Items, int Total)
{
    public bool Ok { get; init; } = true;
}

internal sealed record DeleteResponse(bool Deleted)
{
    public bool Ok { get; init; } = true;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ForkResponse))]
[JsonSerializable(typeof(RunResponse))]
[JsonSerializable(typeof(ReadResponse))]
[JsonSerializable(typeof(WriteResponse))]
[JsonSerializable(typeof(ListResponse))]
[JsonSerializable(typeof(DeleteResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
