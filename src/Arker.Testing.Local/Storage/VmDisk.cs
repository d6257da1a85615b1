using Arker.Testing.Local.Isolation;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// The filesystem of one VM: an overlay of shared read-only layers (topmost first) under the VM's
/// own writable upper directory, mounted at <see cref="MergedRoot"/>. Freezing turns the upper into
/// a new shared layer and gives the VM a fresh, empty upper; that is how a fork copies nothing.
/// Callers serialize structural changes (mount, freeze, destroy) per VM.
/// </summary>
internal sealed class VmDisk
{
    private readonly LayerStore _store;
    private readonly Mounts _mounts;
    private readonly string _directory;
    private int _generation;

    private VmDisk(LayerStore store, Mounts mounts, string directory, IReadOnlyList<Layer> lowers)
    {
        _store = store;
        _mounts = mounts;
        _directory = directory;
        Lowers = lowers;
        MergedRoot = Path.Combine(directory, "m");
    }

    /// <summary>The read-only layers, topmost first.</summary>
    public IReadOnlyList<Layer> Lowers { get; private set; }

    /// <summary>Where the VM's filesystem is mounted, in the server's mount namespace (what sandboxes bind).</summary>
    public string MergedRoot { get; }

    /// <summary>Where this process reaches the mounted filesystem (the same path as root; through the namespace helper without).</summary>
    public string MergedRootView => _mounts.Space.View(MergedRoot);

    private string Upper => Path.Combine(_directory, "u" + _generation);

    private string Work => Path.Combine(_directory, "w" + _generation);

    /// <summary>Creates and mounts a VM filesystem over <paramref name="lowers"/>.</summary>
    public static VmDisk Create(LayerStore store, Mounts mounts, string directory, IReadOnlyList<Layer> lowers)
    {
        Directory.CreateDirectory(directory);
        var disk = new VmDisk(store, mounts, directory, lowers);
        store.Retain(lowers);
        try
        {
            Directory.CreateDirectory(disk.MergedRoot);
            disk.MountFresh();
            return disk;
        }
        catch
        {
            store.Release(lowers);
            throw;
        }
    }

    /// <summary>Whether the VM has written nothing since it was mounted or last frozen.</summary>
    public bool IsUnchanged() => !Directory.EnumerateFileSystemEntries(Upper).Any();

    /// <summary>
    /// Makes the current upper a shared layer and remounts the VM over it with an empty upper.
    /// Every process of the VM must have stopped. Returns the new stack for a fork to share.
    /// </summary>
    public IReadOnlyList<Layer> Freeze(BackgroundCleanup cleanup)
    {
        // The old mount is detached, not torn down here: nothing uses it any more, and the new mount
        // below reads its upper only as a frozen lower. The kernel notes that overlap in its log.
        int pin = _mounts.Detach(MergedRoot);
        Layer frozen = _store.Adopt(Upper);
        string oldWork = Work;
        IReadOnlyList<Layer> previous = Lowers;
        Lowers = [frozen, .. previous];
        _store.Retain([frozen]);
        _generation++;
        MountFresh();
        if (pin >= 0)
        {
            cleanup.ReleaseMount(pin);
        }

        cleanup.Delete(oldWork);
        return Lowers;
    }

    /// <summary>Replaces the read-only stack (after flattening); the VM must be stopped.</summary>
    public void ReplaceLowers(IReadOnlyList<Layer> lowers)
    {
        _mounts.Unmount(MergedRoot);
        _store.Retain(lowers);
        _store.Release(Lowers);
        Lowers = lowers;
        MountFresh(createUpper: false);
    }

    /// <summary>Unmounts and removes the VM's own directories; its layers are released.</summary>
    public void Destroy(BackgroundCleanup cleanup)
    {
        int pin = _mounts.Detach(MergedRoot);
        _store.Release(Lowers);
        Lowers = [];
        if (pin >= 0)
        {
            cleanup.ReleaseMount(pin);
        }

        cleanup.Delete(_directory);
    }

    private void MountFresh(bool createUpper = true)
    {
        if (createUpper)
        {
            Directory.CreateDirectory(Upper);
        }

        FolderRemoval.Delete(Work); // overlayfs leaves work/work at mode 000: without root, FolderRemoval opens it first
        Directory.CreateDirectory(Work);
        _mounts.MountOverlay([.. Lowers.Select(l => l.Path)], Upper, Work, MergedRoot);
    }
}
