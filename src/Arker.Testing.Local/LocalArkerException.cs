namespace Arker.Testing.Local;

/// <summary>
/// A request the VMs, files or sandboxes refuse, in the server's own terms. Nothing below
/// <c>Api/</c> knows HTTP: each wire generation maps <see cref="Error"/> to its error envelope.
/// </summary>
internal sealed class LocalArkerException(LocalArkerError error, string message) : Exception(message)
{
    public LocalArkerError Error { get; } = error;

    public static LocalArkerException InvalidInput(string message) => new(LocalArkerError.InvalidInput, message);

    public static LocalArkerException NotFound(string message) => new(LocalArkerError.NotFound, message);

    public static LocalArkerException Forbidden(string message) => new(LocalArkerError.Forbidden, message);

    public static LocalArkerException VmBusy(string message) => new(LocalArkerError.VmBusy, message);

    public static LocalArkerException Conflict(string message) => new(LocalArkerError.Conflict, message);

    public static LocalArkerException TooLarge(string message) => new(LocalArkerError.TooLarge, message);
}

/// <summary>Why the server refused: the kinds every wire generation has an error code for.</summary>
internal enum LocalArkerError
{
    /// <summary>The request names something impossible: a bad path, a bad range.</summary>
    InvalidInput,

    /// <summary>No such VM, file or upload, for this caller.</summary>
    NotFound,

    /// <summary>It exists, and the caller may not do this to it.</summary>
    Forbidden,

    /// <summary>The VM is running a command in that session, or being forked.</summary>
    VmBusy,

    /// <summary>It contradicts what the server already has (an upload's bytes, say).</summary>
    Conflict,

    /// <summary>Over a size limit.</summary>
    TooLarge,
}
