namespace Arker.Testing.Local;

/// <summary>
/// This machine cannot run Arker sandboxes. The message says what is missing and how to get it.
/// </summary>
public sealed class SandboxUnavailableException : Exception
{
    /// <summary>A failure with no details.</summary>
    public SandboxUnavailableException()
    {
    }

    /// <summary>A failure that says what is missing and how to get it.</summary>
    public SandboxUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>A failure with its cause.</summary>
    public SandboxUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
