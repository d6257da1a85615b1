using System.Globalization;
using System.Runtime.InteropServices;

namespace Arker.Testing.Local.Native;

/// <summary>Paths to this process's open descriptors, through which other processes (nsenter, the namespace helper) open what they refer to.</summary>
internal static class ProcessDescriptors
{
    /// <summary><c>/proc/&lt;this process&gt;/fd/&lt;descriptor&gt;</c>.</summary>
    public static string PathOf(SafeHandle descriptor) =>
        string.Create(CultureInfo.InvariantCulture, $"/proc/{Environment.ProcessId}/fd/{descriptor.DangerousGetHandle()}");
}
