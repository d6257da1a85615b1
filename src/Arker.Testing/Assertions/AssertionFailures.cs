namespace Arker.Testing.Assertions;

/// <summary>
/// Makes the exception a failed check throws. Test adapters set <see cref="Factory"/> to their
/// framework's own assertion exception (NUnit: <c>AssertionException</c>), so a failed check is a
/// failure there, not an error; xunit needs nothing (it recognises <c>IAssertionException</c> by name).
/// </summary>
public static class AssertionFailures
{
    /// <summary>Makes the framework's assertion exception for a message; <see langword="null"/> keeps ours.</summary>
    public static Func<string, Exception>? Factory { get; set; }

    /// <summary>The exception for a failed check with <paramref name="message"/>.</summary>
    public static Exception Create(string message, Func<string, Exception> ours) =>
        Factory?.Invoke(message) ?? ours(message);
}
