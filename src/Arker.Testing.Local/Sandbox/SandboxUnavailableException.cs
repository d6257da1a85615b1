namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// This machine cannot run Arker sandboxes. The message says what is missing and how to get it.
/// </summary>
public sealed class SandboxUnavailableException : Exception
{
    public SandboxUnavailableException()
    {
    }

    public SandboxUnavailableException(string message)
        : base(message)
    {
    }

    public SandboxUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
