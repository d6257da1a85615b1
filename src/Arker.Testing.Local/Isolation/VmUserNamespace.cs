using System.Diagnostics;
using System.Globalization;
using Arker.Testing.Local.Native;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Local.Isolation;

/// <summary>
/// The user namespace of one VM with root inside (as root, a VM of its own root filesystem): ids
/// 0–65535 inside map to <see cref="SandboxIdentity.VmIdRangeStart"/> onwards on this machine, and
/// this machine's root to none. A short-lived <c>unshare</c> makes it; the server writes its maps
/// and keeps it by an open descriptor, through which every session of the VM enters it. One per VM,
/// never shared: what lives per user in a user namespace (keyrings) stays in its VM.
/// </summary>
internal sealed class VmUserNamespace : IDisposable
{
    private readonly SafeFileHandle _handle;

    private VmUserNamespace(SafeFileHandle handle)
    {
        _handle = handle;
        Path = $"/proc/{Environment.ProcessId}/fd/{_handle.DangerousGetHandle().ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>A path <c>nsenter --user=</c> opens to enter this namespace.</summary>
    public string Path { get; }

    public static async Task<VmUserNamespace> CreateAsync()
    {
        var start = new ProcessStartInfo(SandboxPrerequisites.FindExecutable("unshare") ?? "unshare")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (string arg in (string[])["--user", "--", "/bin/sh", "-c", "echo ready && read -r held"])
        {
            start.ArgumentList.Add(arg);
        }

        Process holder = await ChildProcesses.StartAsync(start);
        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            if (await holder.StandardOutput.ReadLineAsync(patience.Token) != "ready")
            {
                throw new SandboxUnavailableException($"a VM's user namespace could not be made: {(await holder.StandardError.ReadToEndAsync(patience.Token)).Trim()}");
            }

            string map = $"0 {SandboxIdentity.VmIdRangeStart.ToString(CultureInfo.InvariantCulture)} {SandboxIdentity.VmIdRangeSize.ToString(CultureInfo.InvariantCulture)}\n";
            string process = $"/proc/{holder.Id.ToString(CultureInfo.InvariantCulture)}";
            File.WriteAllText(process + "/uid_map", map);
            File.WriteAllText(process + "/gid_map", map);
            int fd = LibC.openat(LibC.AtFdCwd, process + "/ns/user", LibC.ORdOnly | LibC.OCloexec, 0);
            return fd >= 0
                ? new VmUserNamespace(new SafeFileHandle(fd, ownsHandle: true))
                : throw new SandboxUnavailableException($"a VM's user namespace could not be kept: {LibC.Describe(LibC.LastError)}");
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            throw new SandboxUnavailableException($"a VM's user namespace could not be made: {ex.Message}", ex);
        }
        finally
        {
            await ChildProcesses.EndAsync(holder, TimeSpan.FromSeconds(5));
        }
    }

    public void Dispose() => _handle.Dispose();
}
