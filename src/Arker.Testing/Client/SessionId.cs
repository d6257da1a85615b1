using System.Globalization;

namespace Arker.Testing.Client;

/// <summary>
/// Names a persistent shell of a VM: a string or an integer, as the contract allows. Converts
/// implicitly from both, so <c>new RunOptions { SessionId = 2 }</c> and <c>= "build"</c> both work.
/// </summary>
public readonly record struct SessionId
{
    private SessionId(string value, bool isNumber)
    {
        Value = value;
        IsNumber = isNumber;
    }

    /// <summary>The default session, <c>0</c>.</summary>
    public static SessionId Default { get; } = new("0", isNumber: true);

    /// <summary>The id as text (numbers in invariant form).</summary>
    public string Value { get; }

    /// <summary>Whether the id is sent as a JSON number.</summary>
    public bool IsNumber { get; }

    /// <summary>A session named by text.</summary>
    public static implicit operator SessionId(string value) => FromString(value);

    /// <summary>A session named by number.</summary>
    public static implicit operator SessionId(int value) => FromInt32(value);

    /// <summary>A session named by text.</summary>
    public static SessionId FromString(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        return new SessionId(value, isNumber: false);
    }

    /// <summary>A session named by number.</summary>
    public static SessionId FromInt32(int value) => new(value.ToString(CultureInfo.InvariantCulture), isNumber: true);

    /// <summary>The id as text.</summary>
    public override string ToString() => Value;
}
