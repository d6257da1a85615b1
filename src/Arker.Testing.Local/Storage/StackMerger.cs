using System.Diagnostics;
using Arker.Testing.Local.Isolation;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// Flattens stacks of layers: copies what a stack shows (whiteouts applied) into one directory,
/// through a read-only overlay of the stack, so deleted files are simply absent. Used to keep
/// stacks short (<see cref="StackFlattening"/>) and to store a base in the cache.
/// </summary>
internal sealed class StackMerger(string workDirectory, Mounts mounts, LayerStore layers, BackgroundCleanup cleanup, int maxLayerDepth, ILogger logger)
{
    /// <summary>How deep a VM's stack may grow before a fork waits for its merge.</summary>
    public int MaxLayerDepth => maxLayerDepth;

    public LayerStore Layers => layers;

    public BackgroundCleanup Cleanup => cleanup;

    public ILogger Logger => logger;

    /// <summary>Copies the merged view of a stack into one new layer that can stand in for the whole stack, base image included.</summary>
    public async Task<Layer> MergeAsync(IReadOnlyList<Layer> lowers)
    {
        string target = layers.NewLayerPath();
        Directory.CreateDirectory(target);
        try
        {
            await CopyMergedAsync(lowers, target);
        }
        catch
        {
            cleanup.Delete(target);
            throw;
        }

        logger.LogInformation("Merged {Depth} layers into one", lowers.Count);
        return new Layer(target, permanent: false);
    }

    /// <summary>Copies what a stack of layers shows, as one directory, into <paramref name="target"/> (which exists).</summary>
    public async Task CopyMergedAsync(IReadOnlyList<Layer> lowers, string target)
    {
        if (lowers.Count == 1)
        {
            await CopyTreeAsync(lowers[0].Path, target, lowers.Count); // one layer is its own view
            return;
        }

        string view = Path.Combine(workDirectory, "f" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(view);
        try
        {
            mounts.MountReadOnlyOverlay([.. lowers.Select(l => l.Path)], view);
            try
            {
                await CopyTreeAsync(view, target, lowers.Count);
            }
            finally
            {
                mounts.Unmount(view, detach: true);
            }
        }
        finally
        {
            Directory.Delete(view);
        }
    }

    /// <summary>
    /// Copies a tree with <c>cp -a</c> run in the server's namespaces (without root, as root of its
    /// user namespace, so every owner of a VM with root inside is kept, and in its mounts).
    /// </summary>
    private async Task CopyTreeAsync(string source, string target, int depth)
    {
        IReadOnlyList<string> prefix = mounts.Space.LaunchPrefix(null);
        string[] command = [.. prefix, "cp", "-a", "--reflink=auto", source + "/.", target];
        using var copy = Process.Start(new ProcessStartInfo(command[0], command[1..]) { RedirectStandardError = true })!;
        string error = await copy.StandardError.ReadToEndAsync();
        await copy.WaitForExitAsync();
        if (copy.ExitCode != 0)
        {
            throw new IOException($"merging {depth} layers failed: {error}");
        }
    }
}
