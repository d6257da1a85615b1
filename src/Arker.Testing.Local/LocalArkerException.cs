namespace Arker.Testing.Local;

/// <summary>
/// A request the VMs, files or sandboxes refuse, in the server's own terms. Nothing below
/// <c>Api/</c> knows HTTP: each wire generation maps <see cref="Error"/> to its error envelope.
/// </summary>
/// <param name="error">The kind of refusal.</param>
/// <param name="message">What was wrong and what to do, for the caller.</param>
/// <param name="resource">What it concerns: <c>vm</c>, <c>session</c>, <c>run</c>, <c>file</c>, <c>upload</c>.</param>
internal sealed class LocalArkerException(LocalArkerError error, string message, string resource = "vm") : Exception(message)
{
    public LocalArkerError Error { get; } = error;

    public string Resource { get; } = resource;

    public static LocalArkerException InvalidInput(string message) => new(LocalArkerError.InvalidInput, message);

    public static LocalArkerException NotFound(string message, string resource = "vm") => new(LocalArkerError.NotFound, message, resource);

    public static LocalArkerException Forbidden(string message) => new(LocalArkerError.Forbidden, message);

    public static LocalArkerException VmBusy(string message, string resource = "vm") => new(LocalArkerError.VmBusy, message, resource);

    public static LocalArkerException Conflict(string message, string resource = "vm") => new(LocalArkerError.Conflict, message, resource);

    public static LocalArkerException TooLarge(string message) => new(LocalArkerError.TooLarge, message, "file");
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
