namespace Arker.Testing.Client;

/// <summary>
/// Where the client tells whoever listens, in this flow, which files of this machine it has sent
/// into a VM (<see cref="ComputerSync.UploadFileAsync"/>). The fixtures listen while a base is
/// provisioned, to know what the base was made from; the client knows nothing of them.
/// </summary>
internal static class LocalFileReads
{
    private static readonly AsyncLocal<Action<string>?> Listener = new();

    /// <summary>Who hears of each file read in this flow (and the flows it starts), if anyone.</summary>
    public static Action<string>? Current
    {
        get => Listener.Value;
        set => Listener.Value = value;
    }

    public static void Report(string localPath) => Listener.Value?.Invoke(localPath);
}
