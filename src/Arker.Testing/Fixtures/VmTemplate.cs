using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Arker.Testing.Client;

namespace Arker.Testing.Fixtures;

/// <summary>
/// How to provision a base VM: the image to fork from and the steps to run on it once. Every test
/// that uses the template gets its own fork of the provisioned result.
/// </summary>
/// <example>
/// <code>
/// public sealed class CliMachine : VmTemplate
/// {
///     public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
///     {
///         await vm.SeedAsync(SeedFiles.FromDirectory("testdata/cli"), "/home/user/cli", cancellationToken);
///         (await vm.RunAsync("cd cli &amp;&amp; ./install.sh", cancellationToken)).ShouldSucceed();
///     }
/// }
/// </code>
/// </example>
public abstract class VmTemplate
{
    /// <summary>
    /// What the base is forked from: a base or VM name (<c>arkuntu</c>; the Arker service's
    /// <c>ubuntu-base</c>, <c>ubuntu-coding</c>, <c>ubuntu-full</c>), or an OCI image reference
    /// (<c>docker.io/library/postgres:16</c>, <c>127.0.0.1:5000/debian:bookworm</c>: anything with a
    /// <c>:</c>, <c>/</c> or <c>@</c>), which the current API forks from directly.
    /// </summary>
    /// <value>The default is <c>ubuntu-base</c>, the Arker service's base, which the local server makes from an image (see the README, "Images").</value>
    public virtual string BaseImage => DefaultBaseImage;

    /// <summary>What a template or a test forks when it names nothing: the service's <c>ubuntu-base</c>, so a suite runs unchanged on the service and locally.</summary>
    internal const string DefaultBaseImage = "ubuntu-base";

    /// <summary>A short name for logs and VM names.</summary>
    /// <value>The default is the template's type name.</value>
    public virtual string Name => GetType().Name;

    /// <summary>Change it when what <see cref="ProvisionAsync"/> does changes in a way neither its code nor its <see cref="HostInputs"/> show (say, a download whose content changed).</summary>
    /// <value>The default is <c>1</c>.</value>
    public virtual string RecipeVersion => "1";

    /// <summary>
    /// The network policy the base gets once provisioned, which every test's fork starts with (a
    /// test's <see cref="ArkerVmAttribute.Network"/> can still change its own). Provisioning runs
    /// under the server's default (open, unless the local server was started closed).
    /// </summary>
    /// <value>The default is <see langword="null"/>: the server's default.</value>
    public virtual NetworkPolicy? Network => null;

    /// <summary>
    /// What <see cref="ProvisionAsync"/> reads from this machine beyond what the library's helpers
    /// record themselves (folders seeded with <c>SeedFiles.FromDirectory</c>, files uploaded with
    /// <c>UploadFileAsync</c>): a file it opens, a folder it walks, an environment variable it
    /// uses. A kept base is reused only while every input it was provisioned from is unchanged.
    /// </summary>
    /// <value>The default is none.</value>
    public virtual IEnumerable<Inputs.HostInput> HostInputs => [];

    /// <summary>
    /// VM files (absolute paths, such as <c>/var/log/postgresql/postgresql-15-main.log</c>) attached
    /// to a test's result when the test fails, beside the transcript of its commands; a test adds
    /// its own with <see cref="Computer.AttachOnFailure"/>. A file that does not exist is noted in
    /// the transcript, not an error.
    /// </summary>
    public virtual IEnumerable<string> AttachOnFailure => [];

    /// <summary>Prepares the base VM: seed files, install, configure. Runs once per base.</summary>
    public abstract Task ProvisionAsync(Computer vm, CancellationToken cancellationToken);

    /// <summary>A new template of <paramref name="templateType"/>, or the plain <paramref name="image"/> when there is none.</summary>
    internal static VmTemplate Create([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type? templateType, string image = DefaultBaseImage) =>
        templateType is null ? new BaseImageTemplate(image) : (VmTemplate)Activator.CreateInstance(EnsureTemplateType(templateType))!;

    /// <summary>Checks that <paramref name="templateType"/> is a <see cref="VmTemplate"/>; returns it.</summary>
    [return: DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    internal static Type EnsureTemplateType([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type templateType)
    {
        ArgumentNullException.ThrowIfNull(templateType);
        return typeof(VmTemplate).IsAssignableFrom(templateType)
            ? templateType
            : throw new ArgumentException($"{templateType.FullName} is not a VmTemplate.", nameof(templateType));
    }

    /// <summary>
    /// Identifies the recipe: the template's type, its version, its base image, and the build of the
    /// assembly that holds it (so any change to the code provisions afresh). What provisioning read
    /// from this machine is checked apart from it, each time a kept base would be reused.
    /// </summary>
    public string RecipeHash()
    {
        Type type = GetType();
        string recipe = $"{type.FullName}\n{RecipeVersion}\n{BaseImage}\n{type.Assembly.ManifestModule.ModuleVersionId}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe)))[..12];
    }
}
