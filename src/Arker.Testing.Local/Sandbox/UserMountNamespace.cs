using System.Diagnostics;
using System.Globalization;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// Without root: a user namespace, in which the server's user is root, and a private mount
/// namespace owned by it, held by a small long-lived helper (<c>unshare</c> starting
/// <c>namespace-helper.pl</c>) that makes the server's mounts on request. The server reaches the
/// mounted VM files through <c>/proc/&lt;helper&gt;/root</c> and starts sandboxes in the
/// namespaces with <c>nsenter</c>. When the server dies the helper's stdin closes, it exits, and
/// the namespaces and their mounts vanish with it. As in rootless Podman, VM processes and files
/// belong to the invoking user outside: uid 1000 inside a VM is that user on the host.
/// </summary>
internal sealed class UserMountNamespace : MountNamespace
{
    private readonly Process _helper;
    private readonly string _nsenter;
    private readonly Lock _gate = new();

    private UserMountNamespace(Process helper, string nsenter)
    {
        _helper = helper;
        _nsenter = nsenter;
    }

    public override bool IsRootless => true;

    public override IReadOnlyList<string> LaunchPrefix(string? network) =>
        [_nsenter, "--target", Pid, "--user", "--mount", "--preserve-credentials", .. (network is null ? Array.Empty<string>() : [$"--net={network}"]), "--"];

    public override string MountInfoPath => $"/proc/{Pid}/mountinfo";

    private string Pid => _helper.Id.ToString(CultureInfo.InvariantCulture);

    public override string View(string path) => $"/proc/{Pid}/root{path}";

    public override string Describe() =>
        $"rootless: a user namespace of uid {Native.LibC.getuid()}, who owns VM processes and files on the host";

    public static async Task<UserMountNamespace> StartAsync()
    {
        (long mount, long umount2) = SystemCallNumbers();
        string unshare = Required("unshare", "util-linux");
        string nsenter = Required("nsenter", "util-linux");
        string perl = Required("perl", "perl-base");
        string script = ReadHelperScript();
        var start = new ProcessStartInfo(unshare)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (string arg in (string[])["--user", "--map-root-user", "--mount", "--propagation", "private", "--", perl, "-e", script,
            mount.ToString(CultureInfo.InvariantCulture), umount2.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(arg);
        }

        Process helper = await ChildProcesses.StartAsync(start);
        helper.StandardInput.AutoFlush = true;
        helper.StandardInput.NewLine = "\n";
        Task<string?> ready = helper.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(30))) != ready || await ready != "ready")
        {
            ChildProcesses.Kill(helper);
            string error = await helper.StandardError.ReadToEndAsync();
            await helper.WaitForExitAsync();
            helper.Dispose();
            throw new SandboxUnavailableException(UserNamespacePolicy.Explain(error.Trim()));
        }

        _ = DrainAsync(helper.StandardError);
        return new UserMountNamespace(helper, nsenter);
    }

    public override int Mount(string source, string target, string fileSystemType, ulong flags, string? data) =>
        Request($"M\0{source}\0{target}\0{fileSystemType}\0{flags.ToString(CultureInfo.InvariantCulture)}\0{data ?? ""}");

    public override int Unmount(string target, int flags) =>
        Request($"U\0{target}\0{flags.ToString(CultureInfo.InvariantCulture)}");

    public override async ValueTask DisposeAsync()
    {
        _helper.StandardInput.Close();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _helper.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            ChildProcesses.Kill(_helper);
        }

        _helper.Dispose();
    }

    private int Request(string line)
    {
        if (line.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("a mount path or option contains a line break", nameof(line));
        }

        lock (_gate)
        {
            _helper.StandardInput.WriteLine(line);
            string answer = _helper.StandardOutput.ReadLine()
                ?? throw new IOException($"the local server's namespace helper (pid {Pid}) exited; its mounts are gone. Restart the server.");
            return int.Parse(answer, CultureInfo.InvariantCulture);
        }
    }

    private static (long Mount, long Umount2) SystemCallNumbers()
    {
        try
        {
            Native.ArchitectureCalls calls = Native.SystemCalls.ForThisMachine();
            return (calls.Mount, calls.Umount2);
        }
        catch (PlatformNotSupportedException ex)
        {
            throw new SandboxUnavailableException($"Without root, {ex.Message}. Run it as root.", ex);
        }
    }

    private static string Required(string program, string package) =>
        SandboxPrerequisites.FindExecutable(program)
        ?? throw new SandboxUnavailableException($"{program} is not installed; without root the local Arker server needs it to make its user namespace. Install it with 'sudo apt-get install {package}'.");

    private static string ReadHelperScript()
    {
        using Stream resource = typeof(UserMountNamespace).Assembly.GetManifestResourceStream("Arker.Testing.Local.Sandbox.namespace-helper.pl")!;
        using var reader = new StreamReader(resource);
        return reader.ReadToEnd();
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null)
        {
        }
    }
}
