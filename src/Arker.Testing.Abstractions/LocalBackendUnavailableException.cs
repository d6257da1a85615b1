namespace Arker.Testing.Extensibility;

/// <summary>A <see cref="LocalBackend"/> cannot run on this machine; the message says why and what to do.</summary>
public sealed class LocalBackendUnavailableException : Exception
{
    /// <summary>Creates the exception with the reason.</summary>
    public LocalBackendUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
