using System.Text.Json.Serialization;

namespace Arker.Testing.Local.Api.V1;

// The current API's response bodies, as ../docs/contracts/arker-openapi.json names them
// (snake_case through CurrentJsonContext; null members are left out unless the contract requires them).

internal sealed record HealthBody(string Status, string Timestamp);

internal sealed record WhoamiBody(string OrgId, string OrgName);

internal sealed record RegionPlacementBody(string Provider, string Region, string Endpoint);

internal sealed record RegionsBody(IReadOnlyList<RegionPlacementBody> Regions);

internal sealed record SshPublicKeyBody(string PublicKey, string Fingerprint);

internal sealed record NetworkBody(IReadOnlyList<SshPublicKeyBody>? SshPublicKeys);

internal sealed record ResourcesBody;

internal sealed record VmBody(
    string VmId,
    string OwnerOrgId,
    string CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Description,
    bool Public,
    string State,
    IReadOnlyList<SessionBody> Sessions,
    ResourcesBody Resources,
    NetworkBody Network,
    string? Name,
    string? RootSourceVmId,
    string? RootSourceVmName,
    string Region,
    string Provider,
    string? LastActiveAt);

internal sealed record VmListBody(IReadOnlyList<VmBody> Vms, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

internal sealed record DeletedBody(bool Deleted);

internal sealed record SessionBody(
    string SessionId,
    int SessionIdx,
    string State,
    string Cwd,
    IReadOnlyDictionary<string, string>? Env,
    string VmId,
    string? VmName,
    string Region,
    string Provider);

internal sealed record SessionListBody(IReadOnlyList<SessionBody> Sessions, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

internal sealed record PatchSessionBody(bool Ok, string SessionId);

internal sealed record CompletedRunBody(
    string SessionId,
    string RunId,
    string State,
    string Stdout,
    string StdoutEncoding,
    string Stderr,
    string StderrEncoding,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? ExitCode);

internal sealed record BackgroundRunBody(string SessionId, string RunId, string State);

internal sealed record RunBody(
    string RunId,
    string SessionId,
    string Command,
    string State,
    string StartedAt,
    string? CompletedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? ExitCode,
    string? FailReason,
    string Stdout,
    string StdoutEncoding,
    string Stderr,
    string StderrEncoding,
    int RetryCount,
    string VmId,
    string? VmName,
    string Region,
    string Provider);

internal sealed record RunSummaryBody(
    string RunId,
    string SessionId,
    string Command,
    string State,
    string StartedAt,
    string? CompletedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? ExitCode,
    string? FailReason,
    string VmId,
    string? VmName,
    string Region,
    string Provider);

internal sealed record RunListBody(IReadOnlyList<RunSummaryBody> Runs, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextCursor);

internal sealed record CancelBody(bool Cancelled);

internal sealed record ReadInlineBody(bool Ok, string Op, string Path, long Size, string Content, string Encoding);

internal sealed record ReadPresignedBody(bool Ok, string Op, string Path, long Size, string PresignedUrl, int ExpiresIn, string Method);

internal sealed record ByteRangeBody(long Start, long End);

internal sealed record EntryErrorBody(string Code, string Message);

/// <summary>One write's result: a chunk's (received bytes and ranges), a presigned start's (URL and upload id), or a commit's.</summary>
internal sealed record WriteResultBody(
    string Path,
    long Size,
    bool Complete,
    bool Written,
    long? ReceivedBytes = null,
    IReadOnlyList<ByteRangeBody>? Ranges = null,
    string? PresignedUrl = null,
    string? UploadId = null,
    int? ExpiresIn = null,
    string? Method = null,
    EntryErrorBody? Error = null);

internal sealed record WriteBody(bool Ok, string Op, IReadOnlyList<WriteResultBody> Results);

internal sealed record ManifestEntryBody(string Path, long Size, long Mode, string Hash);

internal sealed record ManifestBody(string Root, string HashAlgo, IReadOnlyList<ManifestEntryBody> Entries, bool Truncated);

/// <summary>A guest port exposed on this machine (a local extension).</summary>
internal sealed record ExposedPortBody(int Port, string Url);

internal sealed record ExposedPortListBody(IReadOnlyList<ExposedPortBody> Ports);

internal sealed record ClosedPortBody(int Port, bool Closed);

/// <summary>A host port offered to a VM (a local extension): where programs in the VM reach it.</summary>
internal sealed record HostPortBody(int Port, int GuestPort, string GuestUrl);

internal sealed record HostPortListBody(IReadOnlyList<HostPortBody> HostPorts);

/// <summary>A VM's network policy (the contract's <c>PolicyDoc</c>); its rules as they were given.</summary>
internal sealed record PolicyDocBody(System.Text.Json.JsonElement Policies, IReadOnlyDictionary<string, string> Secrets, IReadOnlyList<string> MitmDomains, IReadOnlyList<string> Warnings);

/// <summary>A base in the base cache (a local extension), forked by its name.</summary>
internal sealed record CachedBaseBody(string Name, string RecipeHash, long SizeBytes, string CreatedAt, string? Inputs);

internal sealed record CachedBaseListBody(IReadOnlyList<CachedBaseBody> Bases);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HealthBody))]
[JsonSerializable(typeof(PolicyDocBody))]
[JsonSerializable(typeof(CachedBaseBody))]
[JsonSerializable(typeof(CachedBaseListBody))]
[JsonSerializable(typeof(ExposedPortBody))]
[JsonSerializable(typeof(ExposedPortListBody))]
[JsonSerializable(typeof(ClosedPortBody))]
[JsonSerializable(typeof(HostPortBody))]
[JsonSerializable(typeof(HostPortListBody))]
[JsonSerializable(typeof(WhoamiBody))]
[JsonSerializable(typeof(RegionsBody))]
[JsonSerializable(typeof(VmBody))]
[JsonSerializable(typeof(VmListBody))]
[JsonSerializable(typeof(DeletedBody))]
[JsonSerializable(typeof(SessionBody))]
[JsonSerializable(typeof(SessionListBody))]
[JsonSerializable(typeof(PatchSessionBody))]
[JsonSerializable(typeof(CompletedRunBody))]
[JsonSerializable(typeof(BackgroundRunBody))]
[JsonSerializable(typeof(RunBody))]
[JsonSerializable(typeof(RunListBody))]
[JsonSerializable(typeof(CancelBody))]
[JsonSerializable(typeof(ReadInlineBody))]
[JsonSerializable(typeof(ReadPresignedBody))]
[JsonSerializable(typeof(WriteBody))]
[JsonSerializable(typeof(ManifestBody))]
internal sealed partial class CurrentJsonContext : JsonSerializerContext;
