namespace Arker.Testing.Fixtures;

/// <summary>How widely one provisioned base VM is shared.</summary>
public enum ArkerVmScope
{
    /// <summary>One base per test class (xunit) or fixture (NUnit); the default.</summary>
    Class,

    /// <summary>One base for the whole test run, shared by every class that uses the template.</summary>
    Run,
}
