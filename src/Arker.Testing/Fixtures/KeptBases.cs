using Arker.Testing.Client;
using Arker.Testing.Inputs;

namespace Arker.Testing.Fixtures;

/// <summary>
/// Where provisioned bases are kept across runs, each with what its provisioning read from this
/// machine: the embedded local server's base cache (<see cref="LocalCacheKeptBases"/>), or VMs left
/// on the Arker service by <c>ARKER_TESTING_REUSE</c> (<see cref="ServiceKeptBases"/>).
/// </summary>
internal interface IKeptBases
{
    /// <summary>How the run summary names this home (<c>the local base cache</c>).</summary>
    string Description { get; }

    /// <summary>The kept bases whose names start with <paramref name="prefix"/>, newest first.</summary>
    Task<IReadOnlyList<KeptBase>> FindAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>The run's base made from the kept base <paramref name="kept"/>, or null when it is no longer there.</summary>
    Task<KeptBaseVm?> UseAsync(KeptBase kept, VmTemplate template, CancellationToken cancellationToken);

    /// <summary>Keeps the freshly provisioned <paramref name="vm"/> as <paramref name="name"/>; returns the VM the run goes on with as its base.</summary>
    Task<KeptBaseVm> KeepAsync(Computer vm, string name, VmTemplate template, HostInputState inputs, CancellationToken cancellationToken);
}

/// <summary>A base kept by an earlier run: its name, and what its provisioning read (null when not recorded: never reused).</summary>
internal sealed record KeptBase(string Name, HostInputState? Inputs, DateTimeOffset CreatedAt);

/// <summary>The VM a run uses as its base, and whether the run deletes it at the end.</summary>
internal sealed record KeptBaseVm(Computer Vm, bool Owned);
