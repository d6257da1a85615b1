using Arker.Testing.Client;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Arker.Testing.Fixtures;

/// <summary>
/// Gives each test of an <c>ArkerTest</c> (xunit.v3 or NUnit) its own fork of a base VM: provisioned
/// from a <see cref="VmTemplate"/>, or a plain image. On a method it overrides the class's choice.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true)]
public sealed class ArkerVmAttribute : Attribute
{
    /// <summary>The plain <c>ubuntu-base</c> image.</summary>
    public ArkerVmAttribute()
    {
    }

    /// <summary>A base provisioned by <paramref name="template"/>, a <see cref="VmTemplate"/> with a parameterless constructor.</summary>
    public ArkerVmAttribute([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type template)
    {
        Template = VmTemplate.EnsureTemplateType(template);
    }

    /// <summary>The template type, or <see langword="null"/> for a plain image.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type? Template { get; }

    /// <summary>What to fork when there is no template: a base or VM name, or an OCI image reference (see <see cref="VmTemplate.BaseImage"/>).</summary>
    /// <value>The default is <c>ubuntu-base</c>.</value>
    public string Image { get; init; } = VmTemplate.DefaultBaseImage;

    /// <summary>How widely the provisioned base is shared.</summary>
    /// <value>The default is <see cref="ArkerVmScope.Class"/>.</value>
    public ArkerVmScope Scope { get; init; } = ArkerVmScope.Class;

    /// <summary>
    /// Whether the tests share one VM instead of each getting a fork of its own: a fork of the base
    /// made for the first of them and deleted at the end of the run, as a container fixture shares
    /// one container. Shared as widely as the base (<see cref="Scope"/>: the class, or the run).
    /// Cheaper (no fork, no clean-up per test), but each test sees what the others did, and tests that
    /// run in parallel use the VM at the same time: for tests that only read, or that clean up after
    /// themselves. A failed test's transcript then holds every sharing test's commands.
    /// </summary>
    /// <value>The default is <see langword="false"/>: each test its own fork, nothing leaks between tests.</value>
    public bool ShareVm { get; init; }

    /// <summary>The network the test's VM gets: its base's (from the template's <see cref="VmTemplate.Network"/>), or open, or closed.</summary>
    /// <value>The default is <see cref="ArkerNetwork.Inherit"/>.</value>
    public ArkerNetwork Network { get; init; } = ArkerNetwork.Inherit;

    /// <summary>The policy <see cref="Network"/> stands for, or null to keep the base's.</summary>
    internal NetworkPolicy? NetworkPolicy => Network switch
    {
        ArkerNetwork.Open => Client.NetworkPolicy.Open,
        ArkerNetwork.Closed => Client.NetworkPolicy.Closed,
        _ => null,
    };

    /// <summary>The attribute that applies to a test: the method's, else the class's, else the plain image.</summary>
    internal static ArkerVmAttribute For(Type testClass, MethodInfo? testMethod)
    {
        ArgumentNullException.ThrowIfNull(testClass);
        return testMethod?.GetCustomAttribute<ArkerVmAttribute>()
            ?? testClass.GetCustomAttribute<ArkerVmAttribute>()
            ?? new ArkerVmAttribute();
    }

    /// <summary>A fresh instance of the template this attribute names.</summary>
    internal VmTemplate CreateTemplate() => VmTemplate.Create(Template, Image);

    /// <summary>The scope key under which <paramref name="testClass"/>'s base is shared (see <see cref="ArkerTestEnvironment.GetBaseAsync"/>).</summary>
    internal string ScopeKey(Type testClass)
    {
        ArgumentNullException.ThrowIfNull(testClass);
        return Scope == ArkerVmScope.Run ? ArkerTestEnvironment.RunScope : testClass.FullName!;
    }
}
