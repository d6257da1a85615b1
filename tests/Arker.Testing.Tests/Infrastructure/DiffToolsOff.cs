namespace Arker.Testing.Tests.Infrastructure;

/// <summary>The snapshot tests fail on purpose under review: no diff tool should open on a developer's machine.</summary>
internal static class DiffToolsOff
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void TurnOff() => DiffEngine.DiffRunner.Disabled = true;
}
