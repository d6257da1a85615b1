namespace Arker.Testing.Snapshots;

/// <summary>
/// What a VM's changes are compared with (<see cref="ComputerSnapshots.VerifyChangesAsync"/>): the
/// listing of a directory (each file's path, size and hash) as it was before the test. A test's
/// base (<c>Arker.Testing.Fixtures.BaseVm</c>) is one, read once and shared by its tests.
/// </summary>
public interface IDirectoryListings
{
    /// <summary>The files below <paramref name="directory"/>, in the listing's form.</summary>
    Task<string> ListingAsync(string directory, CancellationToken cancellationToken = default);
}
