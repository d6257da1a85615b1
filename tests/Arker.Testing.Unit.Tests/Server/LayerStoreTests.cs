using Arker.Testing.Local.Storage;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>Layers shared by reference count: the last VM to let go deletes a layer, never a base layer.</summary>
public sealed class LayerStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("arker-layers-").FullName;
    private readonly BackgroundCleanup _cleanup = new();

    [Fact]
    public async Task A_layer_is_deleted_when_the_last_stack_using_it_lets_go()
    {
        LayerStore store = Store();
        Layer layer = store.Adopt(FilledFolder("upper"));
        store.Retain([layer]);
        store.Retain([layer]);

        store.Release([layer]);
        await _cleanup.DrainAsync();
        Assert.True(Directory.Exists(layer.Path));
        store.Release([layer]);
        await _cleanup.DrainAsync();

        Assert.False(Directory.Exists(layer.Path));
    }

    [Fact]
    public async Task Base_layers_are_never_deleted_and_a_discarded_layer_in_use_stays()
    {
        string baseLayer = FilledFolder("base");
        LayerStore store = Store(baseLayer);
        Layer inUse = store.Adopt(FilledFolder("in-use"));
        store.Retain([inUse, .. store.BaseLayers]);

        store.Release(store.BaseLayers);
        store.Discard(inUse);
        await _cleanup.DrainAsync();

        Assert.True(Directory.Exists(baseLayer));
        Assert.True(Directory.Exists(inUse.Path));
    }

    [Fact]
    public void Adopting_a_folder_moves_it_into_the_store_under_a_new_name()
    {
        LayerStore store = Store();
        string upper = FilledFolder("frozen");

        Layer first = store.Adopt(upper);
        Layer second = store.Adopt(FilledFolder("frozen"));

        Assert.False(Directory.Exists(upper));
        Assert.NotEqual(first.Path, second.Path);
        Assert.True(File.Exists(Path.Combine(first.Path, "file")));
        Assert.False(first.IsPermanent);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private LayerStore Store(params string[] baseLayers) => new(Path.Combine(_folder, "l"), baseLayers, _cleanup);

    private string FilledFolder(string name)
    {
        string path = Path.Combine(_folder, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "file"), name);
        return path;
    }
}
