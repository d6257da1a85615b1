namespace Arker.Testing.Assertions;

/// <summary>
/// Marks an exception as a failed assertion. xunit.v3 recognises the interface by its name, in any
/// namespace, and reports such a failure as an assertion failure rather than an error.
/// </summary>
internal interface IAssertionException;
