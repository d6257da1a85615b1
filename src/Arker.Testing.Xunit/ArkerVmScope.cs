namespace Arker.Testing.Xunit;

/// <summary>How widely one provisioned base VM is shared.</summary>
public enum ArkerVmScope
{
    /// <summary>One base per test class (the default).</summary>
    Class,

    /// <summary>One base for the whole test run, shared by every class that uses the template.</summary>
    Run,
}
