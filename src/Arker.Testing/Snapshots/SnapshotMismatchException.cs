namespace Arker.Testing.Snapshots;

/// <summary>A snapshot differs from its verified file (or has none yet). The message holds a unified diff.</summary>
public sealed class SnapshotMismatchException : Exception, Assertions.IAssertionException
{
    /// <summary>A mismatch described by <paramref name="message"/>.</summary>
    public SnapshotMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>A mismatch with no details.</summary>
    public SnapshotMismatchException()
        : this("The snapshot does not match its verified file.")
    {
    }

    /// <summary>A mismatch and its cause.</summary>
    public SnapshotMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The <c>.received</c> file written for review, if one was written.</summary>
    public string? ReceivedFile { get; init; }
}
