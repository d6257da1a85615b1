using System.Diagnostics.CodeAnalysis;
using Arker.Testing.Fixtures;

namespace Arker.Testing.Xunit;

/// <summary>
/// Gives each test of an <see cref="ArkerTest"/> its own fork of a base VM: provisioned from a
/// <see cref="VmTemplate"/>, or a plain image. On a method it overrides the class's choice.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true)]
public sealed class ArkerVmAttribute : Attribute
{
    /// <summary>The plain <c>arkuntu</c> image.</summary>
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

    /// <summary>The image to fork when there is no template.</summary>
    /// <value>The default is <c>arkuntu</c>.</value>
    public string Image { get; init; } = "arkuntu";

    /// <summary>How widely the provisioned base is shared.</summary>
    /// <value>The default is <see cref="ArkerVmScope.Class"/>.</value>
    public ArkerVmScope Scope { get; init; } = ArkerVmScope.Class;

    /// <summary>A fresh instance of the template this attribute names.</summary>
    public VmTemplate CreateTemplate() => VmTemplate.Create(Template, Image);
}
