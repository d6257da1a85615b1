namespace Arker.Testing.Extensibility;

/// <summary>
/// Arker VMs on this machine, for runs without an API key: the seam between the core and the
/// embedded local server (<c>Arker.Testing.Local</c>), neither of which references the other. An
/// assembly offers its backend with <see cref="LocalBackendAttribute"/>; the test adapters bring
/// <c>Arker.Testing.Local</c>, so users configure nothing.
/// </summary>
public abstract class LocalBackend
{
    /// <summary>Starts an instance for one test run. Dispose it to delete its VMs and everything else it made.</summary>
    /// <exception cref="LocalBackendUnavailableException">This machine cannot run it; the message says why and what to do.</exception>
    public abstract Task<LocalBackendInstance> StartAsync(LocalBackendOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes what instances whose process died left on this machine (VMs, processes, mounts,
    /// files) below <paramref name="dataRoot"/> (null: the default). Returns how many VMs were deleted.
    /// </summary>
    public abstract Task<int> CleanUpAfterDeadInstancesAsync(string? dataRoot, CancellationToken cancellationToken = default);
}
