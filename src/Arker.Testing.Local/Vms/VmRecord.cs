using Arker.Testing.Local.Sandbox;

namespace Arker.Testing.Local.Vms;

/// <summary>A VM as the API sees it: identity, ownership and its sandbox.</summary>
internal sealed class VmRecord
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public required string Organisation { get; init; }

    public required bool IsPublic { get; init; }

    public required string BaseImage { get; init; }

    public required string Region { get; init; }

    public string? ParentId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Creation order, to sort VMs made within the same millisecond.</summary>
    public long Sequence { get; init; }

    public required VmSandbox Sandbox { get; init; }
}
