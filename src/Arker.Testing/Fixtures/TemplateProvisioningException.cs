namespace Arker.Testing.Fixtures;

/// <summary>
/// A template's provisioning failed. Every test that uses the template reports this same failure,
/// with the real cause (for a command: the command, its exit code and its output) as its inner
/// exception, which test frameworks print below this one: the message names the template and
/// leaves the cause to it, so a report shows the cause once.
/// </summary>
public sealed class TemplateProvisioningException : Exception
{
    /// <summary>The failure of <paramref name="template"/>'s provisioning.</summary>
    public TemplateProvisioningException(string template, Exception cause)
        : base($"Provisioning the VM template '{template}' failed, so this test could not get a VM. The cause ({cause.GetType().Name}) follows.", cause) => Template = template;

    /// <summary>A failure with no details.</summary>
    public TemplateProvisioningException()
        : base("Provisioning a VM template failed.") => Template = "";

    /// <summary>A failure with a message.</summary>
    public TemplateProvisioningException(string message)
        : base(message) => Template = "";

    /// <summary>The template's name.</summary>
    public string Template { get; }
}
