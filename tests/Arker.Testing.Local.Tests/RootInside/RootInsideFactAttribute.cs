using System.Runtime.CompilerServices;

namespace Arker.Testing.Local.Tests.RootInside;

/// <summary>
/// A test of root inside a VM, which needs a server running as root for now: without root, VMs of
/// an image run as the VM user only (the README says so, and the start-up line). CI runs as root.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootInsideFactAttribute : FactAttribute
{
    public RootInsideFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "Root inside a VM needs a local server running as root: without root its VMs of an image run as the VM user only (see the README, Images).";
        }
    }
}
