using Arker.Testing.Local.Native;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// The user and mount namespaces and the root of a process, held by descriptors of this process,
/// and named by paths into its descriptor table (<c>/proc/&lt;this process&gt;/fd/N</c>), which this
/// process and its children can open and <c>setns</c> into. Unlike <c>/proc/&lt;pid&gt;/ns/…</c>,
/// they go on naming the same namespaces after that process has ended and its id is reused; the
/// namespaces (and the mounts in them) live until these descriptors close.
/// </summary>
internal sealed class HeldNamespaces : IDisposable
{
    private readonly SafeFileHandle _user;
    private readonly SafeFileHandle _mount;
    private readonly SafeFileHandle _root;

    private HeldNamespaces(SafeFileHandle user, SafeFileHandle mount, SafeFileHandle root)
    {
        _user = user;
        _mount = mount;
        _root = root;
    }

    /// <summary>The user namespace, as a path to open.</summary>
    public string User => PathOf(_user);

    /// <summary>The mount namespace, as a path to open.</summary>
    public string Mount => PathOf(_mount);

    /// <summary>The root directory as the namespace mounts it: a path below it reaches what is mounted there.</summary>
    public string Root => PathOf(_root);

    /// <summary>Opens <paramref name="processId"/>'s namespaces and root, which must be its own (a child not yet reaped).</summary>
    /// <exception cref="IOException">One of them cannot be opened.</exception>
    public static HeldNamespaces Of(int processId)
    {
        var opened = new List<SafeFileHandle>();
        try
        {
            foreach ((string name, int flags) in (ReadOnlySpan<(string, int)>)[("ns/user", LibC.ORdOnly), ("ns/mnt", LibC.ORdOnly), ("root", LibC.OPath | LibC.ODirectory)])
            {
                int descriptor = LibC.openat(LibC.AtFdCwd, $"/proc/{processId}/{name}", flags | LibC.OCloexec, 0);
                opened.Add(descriptor >= 0
                    ? new SafeFileHandle(descriptor, ownsHandle: true)
                    : throw new IOException($"cannot hold the namespace helper's {name}: {LibC.Describe(LibC.LastError)}"));
            }

            return new HeldNamespaces(opened[0], opened[1], opened[2]);
        }
        catch
        {
            opened.ForEach(handle => handle.Dispose());
            throw;
        }
    }

    public void Dispose()
    {
        _user.Dispose();
        _mount.Dispose();
        _root.Dispose();
    }

    private static string PathOf(SafeFileHandle held) =>
        $"/proc/{Environment.ProcessId}/fd/{held.DangerousGetHandle()}";
}
