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

    public static implicit operator SessionId(string value) => FromString(value);

    public static implicit operator SessionId(int value) => FromInt32(value);

    public static SessionId FromString(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        return new SessionId(value, isNumber: false);
    }

    public static SessionId FromInt32(int value) => new(value.ToString(CultureInfo.InvariantCulture), isNumber: true);

    public override string ToString() => Value;
}
