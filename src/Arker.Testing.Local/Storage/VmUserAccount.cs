using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Storage;

/// <summary>
/// The VM user in a root filesystem's account files, written to the layer above it: <c>user</c>
/// with uid and gid 1000 and home <c>/home/user</c> in <c>passwd</c>, <c>group</c> and
/// <c>shadow</c> (no password; an image's own account with id 1000, such as Ubuntu's
/// <c>ubuntu</c>, gives way), passwordless <c>sudo</c>, and the VM's host name. Where the image has
/// no sudo (the official Debian and Ubuntu images have none) and the VM has root inside, a stand-in
/// (<c>vm-sudo.sh</c> as <c>/usr/local/bin/sudo</c>) runs commands as root through the image's own
/// <c>su</c>, which the VM user alone may then use without a password (<c>pam_succeed_if</c>). Each
/// file keeps the owner and mode the image gives it; what the image lacks is root's.
/// </summary>
internal static class VmUserAccount
{
    private const string Name = "user";

    public static void Write(string root, string layer, LayerOwners owners, bool rootInside = false)
    {
        var replaced = new HashSet<string>(StringComparer.Ordinal) { Name };
        Rewrite(root, layer, "etc/passwd", 0x1A4, owners, lines => Without(lines, uidField: 2, replaced)
            .Append($"{Name}:x:{SandboxIdentity.VmUserId}:{SandboxIdentity.VmGroupId}:Arker VM user:/home/user:/bin/bash"), required: true);
        Rewrite(root, layer, "etc/group", 0x1A4, owners, lines => Without(lines, uidField: 2, replaced)
            .Append($"{Name}:x:{SandboxIdentity.VmGroupId}:"), required: true);
        Rewrite(root, layer, "etc/shadow", 0x1A0, owners, lines => lines
            .Where(line => !replaced.Contains(line.Split(':')[0]))
            .Append($"{Name}:*:19000:0:99999:7:::"), required: false);
        Rewrite(root, layer, "etc/gshadow", 0x1A0, owners, lines => lines
            .Where(line => !replaced.Contains(line.Split(':')[0]))
            .Append($"{Name}:!::"), required: false);
        Rewrite(root, layer, "etc/hostname", 0x1A4, owners, _ => ["arker"], required: true);
        Rewrite(root, layer, "etc/hosts", 0x1A4, owners, lines => WithLocalhost(lines
            .Where(line => !line.Contains("arker", StringComparison.Ordinal))
            .Prepend("127.0.1.1 arker")), required: true);
        if (rootInside && !HasSudo(root) && CanStandInForSudo(root))
        {
            WriteSudoStandIn(root, layer, owners);
        }

        if (RootPath.IsFolder(root, "etc/sudoers.d"))
        {
            string folder = Path.Combine(layer, "etc/sudoers.d");
            Directory.CreateDirectory(folder);
            owners.CopyFrom(RootPath.Existing(root, "etc/sudoers.d")!, folder);
            string rule = Path.Combine(folder, "arker-vm-user");
            File.WriteAllText(rule, $"{Name} ALL=(ALL:ALL) NOPASSWD: ALL\n");
            owners.SetToVmRoot(rule, 0x120); // 0440, as sudo wants
        }
    }

    /// <summary>
    /// Where a VM has no root inside: a <c>sudo</c> (<c>/usr/local/bin</c>, before the image's own in
    /// the VM's PATH) that says why and what would give it root, rather than the image's, which
    /// would fail saying only that no new privileges may be gained.
    /// </summary>
    public static void WriteNoRootSudo(string root, string layer, LayerOwners owners, string why)
    {
        MakeLocalBin(root, layer, owners);
        string sudo = Path.Combine(layer, "usr/local/bin/sudo");
        File.WriteAllText(sudo, $"#!/bin/sh\ncat >&2 <<'WHY'\nsudo: this VM has no root inside: {why.ReplaceLineEndings(" ")}\nWHY\nexit 1\n");
        owners.SetToVmRoot(sudo, 0x1ED);
    }

    private static void MakeLocalBin(string root, string layer, LayerOwners owners)
    {
        foreach (string folder in (string[])["usr", "usr/local", "usr/local/bin"])
        {
            string made = Path.Combine(layer, folder);
            Directory.CreateDirectory(made);
            if (RootPath.IsFolder(root, folder) && RootPath.Existing(root, folder) is { } existing)
            {
                owners.CopyFrom(existing, made);
            }
            else
            {
                owners.SetToVmRoot(made, 0x1ED);
            }
        }
    }

    private static readonly string[] LibraryFolders = ["usr/lib", "lib", "usr/lib64"];

    private const string SuRule = "auth sufficient pam_succeed_if.so use_uid uid = 1000 quiet";

    private static bool HasSudo(string root) => RootPath.IsFile(root, "usr/bin/sudo") || RootPath.IsFile(root, "bin/sudo");

    /// <summary>Whether the image has what the stand-in needs: bash, su with its PAM file, runuser, and PAM's <c>pam_succeed_if</c>.</summary>
    private static bool CanStandInForSudo(string root) =>
        (RootPath.IsFile(root, "usr/bin/su") || RootPath.IsFile(root, "bin/su"))
        && (RootPath.IsFile(root, "usr/sbin/runuser") || RootPath.IsFile(root, "sbin/runuser"))
        && (RootPath.IsFile(root, "usr/bin/bash") || RootPath.IsFile(root, "bin/bash"))
        && RootPath.IsFile(root, "etc/pam.d/su")
        && LibraryFolders.Where(folder => RootPath.IsFolder(root, folder)).Select(folder => Path.Combine(root, folder))
            .Any(folder => Directory.EnumerateFiles(folder, "pam_succeed_if.so", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }).Any());

    private static void WriteSudoStandIn(string root, string layer, LayerOwners owners)
    {
        MakeLocalBin(root, layer, owners);

        string sudo = Path.Combine(layer, "usr/local/bin/sudo");
        using (Stream script = typeof(VmUserAccount).Assembly.GetManifestResourceStream("Arker.Testing.Local.Storage.vm-sudo.sh")!)
        using (FileStream file = File.Create(sudo))
        {
            script.CopyTo(file);
        }

        owners.SetToVmRoot(sudo, 0x1ED);
        Rewrite(root, layer, "etc/pam.d/su", 0x1A4, owners, lines => lines.Where(line => line != SuRule).Prepend(SuRule), required: false);
    }

    /// <summary>The host names every machine has, <c>localhost</c> above all, where an image's <c>hosts</c> lacks them (mmdebstrap writes none).</summary>
    private static string[] WithLocalhost(IEnumerable<string> lines)
    {
        string[] kept = [.. lines];
        return kept.Any(line => line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Skip(1).Contains("localhost"))
            ? kept
            : [.. kept, "127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"];
    }

    /// <summary>The lines of an account file without <paramref name="replaced"/> names and without the VM user's id (whose names join <paramref name="replaced"/>).</summary>
    private static IEnumerable<string> Without(IEnumerable<string> lines, int uidField, HashSet<string> replaced)
    {
        foreach (string line in lines)
        {
            string[] fields = line.Split(':');
            if (fields.Length > uidField && fields[uidField] == SandboxIdentity.VmUserId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                replaced.Add(fields[0]);
                continue;
            }

            if (!replaced.Contains(fields[0]))
            {
                yield return line;
            }
        }
    }

    private static void Rewrite(string root, string layer, string relative, int mode, LayerOwners owners, Func<IEnumerable<string>, IEnumerable<string>> change, bool required)
    {
        string? original = RootPath.IsFile(root, relative) ? RootPath.Existing(root, relative) : null;
        bool exists = original is not null;
        if (!exists && !required)
        {
            return;
        }

        string[] lines = exists ? owners.ReadLines(original!) : [];
        string target = Path.Combine(layer, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllLines(target, change(lines.Where(line => line.Length > 0)));
        if (exists)
        {
            owners.CopyFrom(original!, target);
        }
        else
        {
            owners.SetToVmRoot(target, mode);
        }
    }
}
