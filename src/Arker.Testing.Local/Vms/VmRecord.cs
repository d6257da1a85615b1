using Arker.Testing.Local.Files;
using Arker.Testing.Local.Sandbox;

namespace Arker.Testing.Local.Vms;

/// <summary>A VM as the API sees it: identity, ownership and its sandbox.</summary>
internal sealed class VmRecord : IVmRoot
{
    public required string Id { get; init; }

    public string? Name { get; init; }

    public required string Organisation { get; init; }

    public required bool IsPublic { get; init; }

    public required string BaseImage { get; init; }

    public required string Region { get; init; }

    /// <summary>The VM at the root of the chain of forks this one came from (null for a base image).</summary>
    public string? RootSourceId { get; init; }

    public string? RootSourceName { get; init; }

    /// <summary>A short description the owner may change (at most 255 characters).</summary>
    public string? Description { get; set; }

    /// <summary>The SSH keys the owner authorised (kept and reported; the local server has no SSH).</summary>
    public IReadOnlyList<string> SshPublicKeys { get; set; } = [];

    /// <summary>When the VM last ran a command or was forked from.</summary>
    public DateTimeOffset? LastActiveAt { get; set; }

    /// <summary>Its runs, for polling and listing.</summary>
    public RunHistory Runs { get; } = new();

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Creation order, to sort VMs made within the same millisecond.</summary>
    public long Sequence { get; init; }

    public required VmSandbox Sandbox { get; init; }

    /// <summary>The base cache entry this VM offers, for a cached base; else null.</summary>
    public Cache.CachedBase? CachedBase { get; init; }

    /// <inheritdoc/>
    public FileOwner FileOwner { get; } = new(Arker.Testing.Local.Isolation.SandboxIdentity.HostUserId, Arker.Testing.Local.Isolation.SandboxIdentity.HostGroupId);

    /// <inheritdoc/>
    public Task<T> WithRootAsync<T>(Func<string, Task<T>> operation, CancellationToken cancellationToken) => Sandbox.WithRootAsync(operation, cancellationToken);

    /// <inheritdoc/>
    public IReadOnlyList<string> HostReadOnlyFolders => Sandbox.HostReadOnlyFolders;

    /// <inheritdoc/>
    public Native.FileCalls FileCalls => Sandbox.FileCalls;

    /// <summary>1 once the server has said which base name this image VM stands for.</summary>
    public int AnnouncedAs;
}
