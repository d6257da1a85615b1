namespace Arker.Testing.Client;

/// <summary>One page of VMs, and how many match in all.</summary>
/// <param name="Items">The VMs of this page.</param>
/// <param name="Total">How many VMs match, ignoring limit and offset.</param>
public sealed record VmList(IReadOnlyList<VmSummary> Items, int Total);
