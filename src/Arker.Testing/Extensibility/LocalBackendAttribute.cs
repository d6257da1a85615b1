using System.Diagnostics.CodeAnalysis;

namespace Arker.Testing.Extensibility;

/// <summary>
/// Names the <see cref="LocalBackend"/> an assembly offers; the core looks for it on the assembly
/// <c>Arker.Testing.Local</c> when a run has no API key.
/// </summary>
/// <param name="backendType">A <see cref="LocalBackend"/> with a public parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class LocalBackendAttribute([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type backendType) : Attribute
{
    /// <summary>The backend's type.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type BackendType { get; } = backendType;
}
