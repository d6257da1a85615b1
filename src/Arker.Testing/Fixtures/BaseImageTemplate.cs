using Arker.Testing.Client;

namespace Arker.Testing.Fixtures;

/// <summary>A base image used as it is, with nothing provisioned.</summary>
public sealed class BaseImageTemplate : VmTemplate
{
    /// <summary>The plain <c>ubuntu-base</c> image.</summary>
    public BaseImageTemplate()
        : this(DefaultBaseImage)
    {
    }

    /// <summary>The given image or VM, as it is.</summary>
    public BaseImageTemplate(string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        BaseImage = image;
    }

    /// <inheritdoc/>
    public override string BaseImage { get; }

    /// <inheritdoc/>
    public override string Name => BaseImage;

    /// <inheritdoc/>
    public override Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) => Task.CompletedTask;
}
