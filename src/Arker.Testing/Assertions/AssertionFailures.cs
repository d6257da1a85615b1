using Arker.Testing.Extensibility;

namespace Arker.Testing.Assertions;

/// <summary>
/// Makes the exception a failed check throws: the running test's framework's own assertion
/// exception (NUnit: <c>AssertionException</c>), so a failed check is a failure there, not an
/// error; else ours (xunit recognises <c>IAssertionException</c> by name).
/// </summary>
internal static class AssertionFailures
{
    /// <summary>The exception for a failed check with <paramref name="message"/>.</summary>
    public static Exception Create(string message, Func<string, Exception> ours) =>
        ArkerTestFrameworks.CurrentTest?.CreateAssertionFailure?.Invoke(message) ?? ours(message);
}
