using System.Diagnostics.CodeAnalysis;

namespace Arker.Testing.Extensibility;

/// <summary>
/// Names the <see cref="LocalBackend"/> an assembly offers. A test application says which
/// assembly that is with the runtime configuration option <see cref="RuntimeConfigName"/> (the
/// Arker.Testing.Local package sets it, to <c>Arker.Testing.Local</c>); Arker.Testing loads that
/// assembly, when a run has no API key, and starts the backend this attribute names.
/// </summary>
/// <param name="backendType">A <see cref="LocalBackend"/> with a public parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class LocalBackendAttribute([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type backendType) : Attribute
{
    /// <summary>
    /// The runtime configuration option (<c>runtimeconfig.json</c>, MSBuild item
    /// <c>RuntimeHostConfigurationOption</c>) whose value is the name of the assembly that offers
    /// the test application's local backend.
    /// </summary>
    public const string RuntimeConfigName = "Arker.Testing.LocalBackend";

    /// <summary>The backend's type.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type BackendType { get; } = backendType;
}
