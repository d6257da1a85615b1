namespace Arker.Testing.Local.Isolation;

/// <summary>Why this machine refused an unprivileged user namespace, and what would allow it.</summary>
internal static class UserNamespacePolicy
{
    public static string Explain(string error) => Explain(error, Read);

    /// <summary>Explains with the kernel settings <paramref name="setting"/> reads (by their /proc/sys path).</summary>
    internal static string Explain(string error, Func<string, string?> setting)
    {
        const string Intro = "Without root, the local Arker server runs its VMs in a user namespace of your own, and this machine refused to make one";
        if (setting("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1")
        {
            return $"{Intro}: AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1, the default since Ubuntu 23.10). " +
                "Allow them with 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' (and a file in /etc/sysctl.d/ to keep it), or run as root, or set ARKER_API_KEY to use the Arker cloud.";
        }

        if (setting("/proc/sys/kernel/unprivileged_userns_clone") == "0")
        {
            return $"{Intro}: kernel.unprivileged_userns_clone is 0. Allow them with 'sudo sysctl -w kernel.unprivileged_userns_clone=1', or run as root.";
        }

        if (setting("/proc/sys/user/max_user_namespaces") == "0")
        {
            return $"{Intro}: user.max_user_namespaces is 0. Allow them with 'sudo sysctl -w user.max_user_namespaces=15000', or run as root.";
        }

        return $"{Intro} ({(error.Length > 0 ? error : "no message")}). Check that unprivileged user namespaces are allowed ('unshare --user --map-root-user --mount true' must succeed), or run as root.";
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
