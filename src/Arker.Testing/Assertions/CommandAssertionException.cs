namespace Arker.Testing.Assertions;

/// <summary>A command did not do what a test expected. The message shows everything the command did.</summary>
public sealed class CommandAssertionException : Exception, IAssertionException
{
    /// <summary>A failed expectation about a command.</summary>
    public CommandAssertionException(string message)
        : base(message)
    {
    }

    /// <summary>A failed expectation with no details.</summary>
    public CommandAssertionException()
        : this("A command did not do what was expected.")
    {
    }

    /// <summary>A failed expectation and its cause.</summary>
    public CommandAssertionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
