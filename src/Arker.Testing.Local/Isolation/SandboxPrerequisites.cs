using System.Runtime.InteropServices;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Isolation;

/// <summary>Checks that this machine can run sandboxes, and says what is missing if it cannot.</summary>
internal static class SandboxPrerequisites
{
    public static (string Bwrap, string Perl) Check()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new SandboxUnavailableException($"The local Arker server runs VMs with Linux namespaces and overlayfs, so it needs Linux; this is {RuntimeInformation.OSDescription}. Use an Arker API key (ARKER_API_KEY) to run against the Arker cloud instead.");
        }

        string bwrap = FindExecutable("bwrap")
            ?? throw new SandboxUnavailableException("bubblewrap is not installed; the local Arker server uses it to sandbox VMs. Install it with 'apt-get install bubblewrap' (Debian/Ubuntu) or 'dnf install bubblewrap' (Fedora).");
        string perl = FindExecutable("perl")
            ?? throw new SandboxUnavailableException("perl is not installed; the local Arker server starts its sandboxes with a small Perl program. Install it with 'apt-get install perl-base'.");

        if (!File.ReadAllText("/proc/filesystems").Contains("overlay", StringComparison.Ordinal) && !TryLoadOverlayModule())
        {
            throw new SandboxUnavailableException("This kernel has no overlay filesystem, which VM forks are built on. Load it with 'modprobe overlay', or run on a kernel with CONFIG_OVERLAY_FS.");
        }

        int fd = LibC.Openat2(LibC.AtFdCwd, "/", LibC.OPath | LibC.OCloexec, 0, 0);
        if (fd < 0)
        {
            throw new SandboxUnavailableException("This kernel lacks openat2(2) (Linux 5.6 or later is needed) to resolve file paths safely inside VMs.");
        }

        _ = LibC.close(fd);
        return (bwrap, perl);
    }

    /// <summary>
    /// The sandbox starts as the VM user (an unprivileged uid on the host), which must be able to
    /// pass through every folder above the data root to reach its VM's files.
    /// </summary>
    public static void CheckDataRoot(string dataRoot)
    {
        for (DirectoryInfo? folder = new DirectoryInfo(Path.GetFullPath(dataRoot)).Parent; folder is not null; folder = folder.Parent)
        {
            if (folder.Exists && (folder.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                throw new SandboxUnavailableException(
                    $"The local Arker server's data root {dataRoot} is inside {folder.FullName}, which other users cannot enter (mode {Convert.ToString((int)folder.UnixFileMode, 8)}); its VMs run as an unprivileged user and could not reach their files. Choose a data root elsewhere, or allow entering the folder with 'chmod o+x {folder.FullName}'.");
            }
        }
    }

    public static string? FindExecutable(string name)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/bin", "/bin", "/usr/sbin", "/sbin"]))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool TryLoadOverlayModule()
    {
        try
        {
            using var modprobe = System.Diagnostics.Process.Start("modprobe", "overlay");
            modprobe?.WaitForExit(5000);
            return File.ReadAllText("/proc/filesystems").Contains("overlay", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
