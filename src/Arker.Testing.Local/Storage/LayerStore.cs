namespace Arker.Testing.Local.Storage;

/// <summary>
/// Owns the read-only layers of one server instance. A VM's writable upper becomes a layer by a
/// rename (constant time); a layer no VM uses any more is deleted in the background.
/// </summary>
internal sealed class LayerStore
{
    private readonly string _directory;
    private readonly Lock _gate = new();
    private readonly BackgroundCleanup _cleanup;
    private int _nextId;

    public LayerStore(string directory, IEnumerable<string> baseLayers, BackgroundCleanup cleanup)
    {
        _directory = directory;
        _cleanup = cleanup;
        Directory.CreateDirectory(directory);
        BaseLayers = baseLayers.Select(p => new Layer(p, permanent: true)).ToArray();
    }

    public IReadOnlyList<Layer> BaseLayers { get; }

    /// <summary>Turns a directory (a frozen upper, a flattened copy) into a new layer.</summary>
    public Layer Adopt(string directory)
    {
        string path = NewLayerPath();
        Directory.Move(directory, path);
        return new Layer(path, permanent: false);
    }

    /// <summary>A fresh, empty path for a layer that will be filled in place.</summary>
    public string NewLayerPath() => Path.Combine(_directory, Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Retain(IEnumerable<Layer> layers)
    {
        lock (_gate)
        {
            foreach (Layer layer in layers)
            {
                layer.References++;
            }
        }
    }

    /// <summary>Deletes a layer that ended up used by no VM.</summary>
    public void Discard(Layer layer)
    {
        lock (_gate)
        {
            if (layer.References > 0 || layer.IsPermanent)
            {
                return;
            }
        }

        _cleanup.Delete(layer.Path);
    }

    public void Release(IEnumerable<Layer> layers)
    {
        var unused = new List<Layer>();
        lock (_gate)
        {
            foreach (Layer layer in layers)
            {
                if (--layer.References == 0 && !layer.IsPermanent)
                {
                    unused.Add(layer);
                }
            }
        }

        foreach (Layer layer in unused)
        {
            _cleanup.Delete(layer.Path);
        }
    }
}
