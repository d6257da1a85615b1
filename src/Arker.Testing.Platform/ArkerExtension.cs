using System.Reflection;
using Microsoft.Testing.Platform.Extensions;

namespace Arker.Testing.Platform;

/// <summary>What every part of the extension tells the platform about itself.</summary>
internal abstract class ArkerExtension : IExtension
{
    private static readonly string AssemblyVersion =
        typeof(ArkerExtension).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public string Uid => GetType().Name;

    public string Version => AssemblyVersion;

    public string DisplayName => "Arker.Testing";

    public abstract string Description { get; }

    public virtual Task<bool> IsEnabledAsync() => Task.FromResult(true);
}
