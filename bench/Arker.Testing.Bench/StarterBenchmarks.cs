using System.Diagnostics;
using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Native;
using Arker.Testing.Local.Storage;

namespace Arker.Testing.Bench;

/// <summary>
/// A sandbox's start as the server makes it (its .NET process starts Perl, which runs
/// <c>sandbox-start.pl</c> and becomes bubblewrap) against the same start forked by a long-lived
/// starter (<see cref="StarterPrototype"/>): the same arguments, bubblewrap over a base of this
/// machine's userland, <c>bash -c</c>. Whole-machine CPU time and wall time per start, in
/// alternating rounds, and where the wall time goes: until the program is handed over (the
/// process started, or the starter's answer), then until its output ends. As root, where a
/// sandbox's start also changes to the VM user's ids, as a server's does. And a sandbox that
/// outlives its tenant (prototype): the same start forked by a starter that lives in a PID, mount,
/// IPC and UTS namespace made once, entering it as a tenant (<c>tenant-prototype.pl</c>) with no
/// bubblewrap and no namespace made but a mount namespace of its own.
/// </summary>
internal static class StarterBenchmarks
{
    private const int Rounds = 3;
    private const int StartsPerRound = 200;

    public static async Task RunAsync(Report report)
    {
        report.Section("Sandbox starts: by the server, or forked by a long-lived starter (prototype)");
        if (!Environment.IsPrivilegedProcess)
        {
            report.Line("  skipped: measured as root (as root a sandbox's start changes to the VM user's ids)");
            return;
        }

        string work = Directory.CreateTempSubdirectory("arker-bench-starter-").FullName;
        File.SetUnixFileMode(work, (UnixFileMode)0x1ED); // the sandbox, as the VM user, binds the base below it
        try
        {
            BaseImage image = BaseImage.Create(Path.Combine(work, "base"), rootFilesystem: null, cacheFolder: Path.Combine(work, "cache"));
            (string bwrap, string perl) = SandboxPrerequisites.Check();
            (StarterPrototype? prototype, string? reason) = await StarterPrototype.StartAsync(perl);
            await using StarterPrototype starter = prototype ?? throw new InvalidOperationException(reason);
            using var dev = KeptDevFolder.Make(Path.Combine(work, "dev"));
            (StarterPrototype? keeper, string? why) = await StarterPrototype.StartAsync(perl, keptNamespaces: true);
            await using StarterPrototype kept = keeper ?? throw new InvalidOperationException(why);
            string[] tenant = TenantArguments(image, dev.Path, ["bash", "-c", "echo started"]);
            // The VM's network is joined as a ready namespace in a server; here the host's, so neither start makes one.
            var launcher = new SandboxLauncher(bwrap, perl, image.HostReadOnlyBinds, shareNetwork: true, new HostMountNamespace());
            ProcessStartInfo Sandbox() => launcher.CreateStartInfo(image.Layers[0], image.HostReadOnlyBinds, [], ["bash", "-c", "echo started"]);

            string seen = await ProbeTenantAsync(kept, TenantArguments(image, dev.Path, ["bash", "-c", TenantProbe]));
            var byServer = new Timings();
            var byStarter = new Timings();
            var asTenant = new Timings();
            for (int i = 0; i < 20; i++)
            {
                await StartByServerAsync(Sandbox(), new Timings());
                await StartByStarterAsync(starter, Sandbox(), new Timings());
                await EnterAsTenantAsync(kept, tenant, new Timings());
            }

            for (int round = 0; round < Rounds; round++)
            {
                await byServer.RoundAsync(() => StartByServerAsync(Sandbox(), byServer));
                await byStarter.RoundAsync(() => StartByStarterAsync(starter, Sandbox(), byStarter));
                await asTenant.RoundAsync(() => EnterAsTenantAsync(kept, tenant, asTenant));
            }

            report.Row("sandbox start (sandbox-start.pl, bwrap, bash -c) by the server: handed over", byServer.HandedOver, "ms");
            report.Row("  then until its output ended", byServer.Ran, "ms");
            report.Row("the same forked by the starter: handed over", byStarter.HandedOver, "ms");
            report.Row("  then until its output ended", byStarter.Ran, "ms");
            report.Value("CPU per start by the server, per round (whole machine)", string.Join(" / ", byServer.CpuPerStart.Select(ms => $"{ms:0.0} ms")));
            report.Value("CPU per start by the starter, per round (whole machine)", string.Join(" / ", byStarter.CpuPerStart.Select(ms => $"{ms:0.0} ms")));
            report.Value("CPU per start: starter ÷ server, per round", string.Join(" / ", byServer.CpuPerStart.Zip(byStarter.CpuPerStart, (server, forked) => $"{forked / server:0.00}×")));
            report.Ratio("sandbox start, whole: starter ÷ server (p50)", byStarter.Whole.P50 / byServer.Whole.P50);
            report.Row("a tenant of kept namespaces (tenant-prototype.pl, no bwrap), forked by the starter: handed over", asTenant.HandedOver, "ms");
            report.Row("  then until its output ended", asTenant.Ran, "ms");
            report.Value("CPU per start as a tenant, per round (whole machine)", string.Join(" / ", asTenant.CpuPerStart.Select(ms => $"{ms:0.0} ms")));
            report.Value("CPU per start: tenant ÷ server, per round", string.Join(" / ", byServer.CpuPerStart.Zip(asTenant.CpuPerStart, (server, tenant) => $"{tenant / server:0.00}×")));
            report.Ratio("sandbox start, whole: tenant ÷ server (p50)", asTenant.Whole.P50 / byServer.Whole.P50);
            report.Value("what a tenant sees (uid, no_new_privs, processes in /proc, root's entries)", seen);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>How the server starts a sandbox: its own child process, Perl running sandbox-start.pl, which becomes bubblewrap.</summary>
    private static async Task StartByServerAsync(ProcessStartInfo sandbox, Timings timings)
    {
        long began = Stopwatch.GetTimestamp();
        using Process process = await ChildProcesses.StartAsync(sandbox, makesItsOwnSession: true);
        long handedOver = Stopwatch.GetTimestamp();
        process.StandardInput.Close();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        timings.Add(began, handedOver);
        await process.WaitForExitAsync();
        Started(output, process.ExitCode, await errors);
    }

    private static Task StartByStarterAsync(StarterPrototype starter, ProcessStartInfo sandbox, Timings timings) =>
        RunForkedAsync(() => starter.StartAsync([.. sandbox.ArgumentList.Skip(2)]), timings); // after "-e SCRIPT": the starter has the script

    /// <summary>The same sandbox entered as a tenant of the kept namespaces, forked by the starter that lives in them.</summary>
    private static Task EnterAsTenantAsync(StarterPrototype kept, string[] arguments, Timings timings) =>
        RunForkedAsync(() => kept.EnterAsync(arguments), timings);

    private static async Task RunForkedAsync(Func<Task<StarterPrototype.Child>> fork, Timings timings)
    {
        long began = Stopwatch.GetTimestamp();
        using StarterPrototype.Child child = await fork();
        long handedOver = Stopwatch.GetTimestamp();
        child.StandardInput.Close();
        Task<string> errors = child.StandardError.ReadToEndAsync();
        string output = await child.StandardOutput.ReadToEndAsync();
        timings.Add(began, handedOver);
        Started(output, await child.WaitForExitAsync(), await errors);
    }

    /// <summary>A tenant's view of itself: its uid, no_new_privs, the processes its /proc shows, what its / holds.</summary>
    private const string TenantProbe = "echo \"uid $(id -u), $(grep NoNewPrivs /proc/self/status | tr -d '\\t'), $(ls /proc | grep -c '^[0-9]') processes, / = $(ls / | tr '\\n' ' ')\"";

    private static async Task<string> ProbeTenantAsync(StarterPrototype kept, string[] arguments)
    {
        using StarterPrototype.Child child = await kept.EnterAsync(arguments);
        child.StandardInput.Close();
        Task<string> errors = child.StandardError.ReadToEndAsync();
        string output = await child.StandardOutput.ReadToEndAsync();
        int exitCode = await child.WaitForExitAsync();
        return exitCode == 0 ? output.Trim() : throw new InvalidOperationException($"the tenant probe failed (exit code {exitCode}): {output}{await errors}");
    }

    /// <summary>What <c>tenant-prototype.pl</c> is given for a sandbox over <paramref name="image"/>'s base, as the VM user.</summary>
    private static string[] TenantArguments(BaseImage image, string dev, string[] command)
    {
        ArchitectureCalls calls = SystemCalls.ForThisMachine();
        int chroot = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? 51 : 161;
        return [
            $"root={image.Layers[0]}", .. image.HostReadOnlyBinds.Select(folder => $"bind={folder}"), $"dev={dev}",
            $"uid={SandboxIdentity.HostUserId}", $"gid={SandboxIdentity.HostGroupId}",
            $"unshare={calls.Unshare}", $"mount={calls.Mount}", $"chroot={chroot}", $"setsid={calls.Setsid}", $"setgroups={calls.Setgroups}",
            $"setresgid={calls.Setresgid}", $"setresuid={calls.Setresuid}", $"prctl={calls.Prctl}",
            "--", .. command];
    }

    private static void Started(string output, int exitCode, string errors)
    {
        if (exitCode != 0 || output.Trim() != "started")
        {
            throw new InvalidOperationException($"the sandbox did not run (exit code {exitCode}): {output}{errors}");
        }
    }

    /// <summary>The wall time of each start, in two parts, and the machine's CPU time per start of each round.</summary>
    private sealed class Timings
    {
        public Samples HandedOver { get; } = new();

        public Samples Ran { get; } = new();

        public Samples Whole { get; } = new();

        public List<double> CpuPerStart { get; } = [];

        public void Add(long began, long handedOver)
        {
            HandedOver.Add(Stopwatch.GetElapsedTime(began, handedOver));
            Ran.Add(Stopwatch.GetElapsedTime(handedOver));
            Whole.Add(Stopwatch.GetElapsedTime(began));
        }

        public async Task RoundAsync(Func<Task> start)
        {
            TimeSpan busyBefore = MachineCpu.BusyTime();
            for (int i = 0; i < StartsPerRound; i++)
            {
                await start();
            }

            CpuPerStart.Add((MachineCpu.BusyTime() - busyBefore).TotalMilliseconds / StartsPerRound);
        }
    }
}

/// <summary>
/// A /dev for tenants, made once: the device nodes bubblewrap's <c>--dev</c> gives a sandbox, bound
/// from the host's into a folder of empty files. Disposing it unmounts them and removes the folder.
/// </summary>
internal sealed class KeptDevFolder : IDisposable
{
    private static readonly string[] Devices = ["null", "zero", "full", "random", "urandom", "tty"];

    private KeptDevFolder(string path) => Path = path;

    public string Path { get; }

    public static KeptDevFolder Make(string path)
    {
        Directory.CreateDirectory(path);
        foreach (string device in Devices)
        {
            string node = System.IO.Path.Combine(path, device);
            File.WriteAllBytes(node, []);
            if (LibC.mount($"/dev/{device}", node, "", 0x1000, null) != 0) // MS_BIND
            {
                throw new IOException($"cannot bind /dev/{device}: {LibC.Describe(LibC.LastError)}");
            }
        }

        return new KeptDevFolder(path);
    }

    public void Dispose()
    {
        foreach (string device in Devices)
        {
            _ = LibC.umount2(System.IO.Path.Combine(Path, device), 0);
        }

        Directory.Delete(Path, recursive: true);
    }
}
