using System.Diagnostics;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>
/// A dedicated unprivileged account that a root test run makes (once) and runs programs as, with
/// copies of the builds they need in a folder of its own: what an ordinary developer or CI runner
/// gets. Only for a run as root.
/// </summary>
public sealed class OrdinaryUser
{
    public const string Name = "arker-rootless";

    /// <summary>An account to which this machine grants no subordinate ids: its server has one id for VMs.</summary>
    public const string SingleIdName = "arker-single-id";

    private OrdinaryUser(string home) => Home = home;

    public string Home { get; }

    /// <summary>Makes the account (<see cref="Name"/>, with subordinate ids) if this machine does not have it yet.</summary>
    public static async Task<OrdinaryUser> EnsureAsync()
    {
        (string home, _) = await EnsureAccountAsync(Name);
        await EnsureSubordinateIdsAsync();
        return new OrdinaryUser(home);
    }

    /// <summary>Makes <see cref="SingleIdName"/> if this machine does not have it yet, and takes away any subordinate ids it was given; its home.</summary>
    public static async Task<string> EnsureSingleIdAccountAsync()
    {
        (string home, _) = await EnsureAccountAsync(SingleIdName);
        foreach ((string file, string option) in new[] { ("/etc/subuid", "--del-subuids"), ("/etc/subgid", "--del-subgids") })
        {
            foreach ((long start, long count) in Ranges(file, SingleIdName))
            {
                string range = $"{start}-{start + count - 1}";
                (int exitCode, string output) = await RunAsync("usermod", [option, range, SingleIdName]);
                Assert.True(exitCode == 0, $"usermod {option} {range} {SingleIdName} failed: {output}");
            }
        }

        return home;
    }

    private static async Task<(string Home, int Uid)> EnsureAccountAsync(string name)
    {
        if ((await RunAsync("id", ["-u", name])).ExitCode != 0)
        {
            (int exitCode, string output) = await RunAsync("useradd", ["--create-home", "--shell", "/bin/sh", name]);
            Assert.True(exitCode == 0, $"useradd {name} failed ({exitCode}): {output}");
        }

        (_, string passwd) = await RunAsync("getent", ["passwd", name]);
        string[] fields = passwd.Trim().Split(':');
        return (fields[5], int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The ranges <paramref name="file"/> (<c>/etc/subuid</c> or <c>/etc/subgid</c>) grants <paramref name="name"/>, or anybody.</summary>
    private static IEnumerable<(long First, long Count)> Ranges(string file, string? name = null) =>
        File.Exists(file)
            ? [.. File.ReadLines(file)
                .Select(line => line.Split(':'))
                .Where(fields => fields.Length == 3 && (name is null || fields[0] == name)
                    && long.TryParse(fields[1], System.Globalization.CultureInfo.InvariantCulture, out _) && long.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out _))
                .Select(fields => (long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture)))]
            : [];

    /// <summary>
    /// A range of 65536 subordinate uids and gids for the account (as useradd grants where
    /// <c>/etc/subuid</c> exists), after every range granted so far: what gives its VMs of an
    /// image root inside.
    /// </summary>
    private static async Task EnsureSubordinateIdsAsync()
    {
        string[] files = ["/etc/subuid", "/etc/subgid"];
        if (files.All(file => Ranges(file, Name).Any()))
        {
            return;
        }

        long first = files.SelectMany(file => Ranges(file)).Select(range => range.First + range.Count).Append(100_000).Max();
        string range = $"{first}-{first + 65_535}";
        (int exitCode, string output) = await RunAsync("usermod", ["--add-subuids", range, "--add-subgids", range, Name]);
        Assert.True(exitCode == 0, $"usermod could not grant {Name} the subordinate ids {range}: {output}");
    }

    /// <summary>The processes (pid and command line) of the account and of its subordinate uids.</summary>
    public static async Task<string[]> ProcessesAsync()
    {
        (_, string uid) = await RunAsync("id", ["-u", Name]);
        long own = long.Parse(uid.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        (long First, long Count)[] subordinate = [.. Ranges("/etc/subuid", Name)];
        (_, string table) = await RunAsync("ps", ["-e", "-o", "uid=,pid=,args="]);
        return [.. table.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Trim())
            .Where(line => long.TryParse(line.Split(' ')[0], out long owner) && (owner == own || subordinate.Any(range => owner >= range.First && owner < range.First + range.Count)))];
    }

    /// <summary>A new folder in the account's home, owned by it, holding copies of <paramref name="folders"/> (source → name inside).</summary>
    public async Task<string> CopyAsync(params IEnumerable<(string Source, string Inside)> folders)
    {
        string work = Path.Combine(Home, "runs", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        foreach ((string source, string inside) in folders)
        {
            string target = Path.Combine(work, inside);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            (int exitCode, string output) = await RunAsync("cp", ["-a", source, target]);
            Assert.True(exitCode == 0, $"copying {source} failed: {output}");
        }

        (int chown, string error) = await RunAsync("chown", ["-R", $"{Name}:{Name}", work]);
        Assert.True(chown == 0, error);
        return work;
    }

    /// <summary>
    /// Runs a program as the account (setpriv, its own groups, a clean environment with
    /// <paramref name="environment"/> added) and returns its exit code and output.
    /// </summary>
    public Task<(int ExitCode, string Output)> RunAsAsync(string program, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        string dotnetRoot = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var variables = new Dictionary<string, string>(environment)
        {
            ["HOME"] = Home,
            ["USER"] = Name,
            ["PATH"] = $"{dotnetRoot}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["DOTNET_ROOT"] = dotnetRoot,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        return RunAsync("setpriv", [$"--reuid={Name}", $"--regid={Name}", "--init-groups", "--", "env", "-i", .. variables.Select(v => $"{v.Key}={v.Value}"), program, .. args], workingDirectory);
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> args, string workingDirectory = "/") =>
        ProgramRun.ToEndAsync(new ProcessStartInfo(program, args) { WorkingDirectory = workingDirectory });
}
