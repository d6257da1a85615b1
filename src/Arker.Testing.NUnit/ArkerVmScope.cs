namespace Arker.Testing.NUnit;

/// <summary>How widely one provisioned base VM is shared.</summary>
public enum ArkerVmScope
{
    /// <summary>One base per test fixture (the default).</summary>
    Fixture,

    /// <summary>One base for the whole test run.</summary>
    Run,
}
