namespace Arker.Testing.Local.Storage;

/// <summary>A read-only directory in VMs' overlay stacks, shared by reference count.</summary>
internal sealed class Layer
{
    public Layer(string path, bool permanent)
    {
        Path = path;
        IsPermanent = permanent;
    }

    public string Path { get; }

    /// <summary>Base image layers are never deleted.</summary>
    public bool IsPermanent { get; }

    /// <summary>The number of VM stacks that use this layer; guarded by the <see cref="LayerStore"/>.</summary>
    public int References { get; set; }
}
