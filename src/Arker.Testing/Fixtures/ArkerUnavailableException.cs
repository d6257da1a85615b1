namespace Arker.Testing.Fixtures;

/// <summary>
/// No Arker could be reached: no API key, and the local server cannot run on this machine. Test
/// adapters skip the test when <see cref="Required"/> is false, and fail it otherwise.
/// </summary>
public sealed class ArkerUnavailableException : Exception
{
    /// <summary>Creates the exception with its reason.</summary>
    public ArkerUnavailableException(string message, bool required, Exception? innerException = null)
        : base(message, innerException) => Required = required;

    /// <summary>An unavailable Arker with no details.</summary>
    public ArkerUnavailableException()
        : this("Arker is not available.", required: false)
    {
    }

    /// <summary>An unavailable Arker with a reason.</summary>
    public ArkerUnavailableException(string message)
        : this(message, required: false)
    {
    }

    /// <summary>An unavailable Arker with a reason and its cause.</summary>
    public ArkerUnavailableException(string message, Exception innerException)
        : this(message, required: false, innerException)
    {
    }

    /// <summary>Whether the run requires Arker (<c>CI=true</c> or <c>ARKER_TESTING_REQUIRE=1</c>), so the test must fail.</summary>
    public bool Required { get; }
}
