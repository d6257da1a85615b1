using Arker.Testing.TestSupport;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Rootless;

/// <summary>
/// A run as root proves the rootless mode too: the local server's containment, fork-isolation,
/// file-API and clean-up tests, the crash tests of killed test hosts, and both sample suites on
/// the embedded server, run again as an ordinary user (<see cref="OrdinaryUser.Name"/>), from copies of this build, and must pass with
/// nothing of theirs left running. A run as an ordinary user is that run already.
/// </summary>
public sealed class RootlessRunTests
{
    private static readonly string[] ServerTestClasses =
        ["*Sandbox.ContainmentTests", "*CrossVmIsolationTests", "*NetworkCostTests", "*VmFirewallTests", "*NamespaceSocketsTests", "*FolderRemovalByHelperTests", "*VmNetworkTests", "*ExposedPortTests", "*HostPortForwardTests", "*OutboundPolicyTests", "*BaseCacheTests", "*ForkTests", "*FileTests", "*PresignedTransferTests", "*DeleteTests", "*RunTests", "*ServerLifecycleTests", "*Hosting.CommandLineTests",
         "*RootInsideTests", "*RootInsideContainmentTests", "*SudoStandInTests", "*DebianRegistryTests"];

    [Fact]
    public async Task LocalServerTests_PassAsAnOrdinaryUser()
    {
        OrdinaryUser user = await RequireRootAsync();
        string work = await user.CopyAsync((AppContext.BaseDirectory, "tests"), (Path.GetDirectoryName(ServerProcess.BuiltCommand)!, "tool"));
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["CI"] = "true",
                [ServerProcess.CommandVariable] = Path.Combine(work, "tool", Path.GetFileName(ServerProcess.BuiltCommand)),
                [DebianImage.FolderVariable] = await DebianImage.FolderAsync(), // built once, by this run
            };
            string[] filters = [.. ServerTestClasses.SelectMany(c => new[] { "--filter-class", c })];

            (int exitCode, string output) = await user.RunAsAsync(Path.Combine(work, "tests", "Arker.Testing.Local.Tests"), [.. Options(work), .. filters], work, environment);

            AssertPassed(exitCode, output, atLeast: 40);
            await AssertNothingLeftAsync();
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Theory]
    [InlineData("Arker.Testing.Samples.Xunit")]
    [InlineData("Arker.Testing.Samples.NUnit")]
    public async Task SampleSuite_PassesAsAnOrdinaryUser(string sample)
    {
        OrdinaryUser user = await RequireRootAsync();
        string source = Path.Combine(RepositoryRoot(), "samples", sample);
        string work = await user.CopyAsync((source, Path.Combine("samples", sample)));
        try
        {
            string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            string program = Path.Combine(work, "samples", sample, "bin", configuration, "net10.0", sample);

            var environment = MachineVariables(new() { ["CI"] = "true" });

            (int exitCode, string output) = await user.RunAsAsync(program, Options(work), work, environment);

            AssertPassed(exitCode, output, atLeast: 9);
            await AssertNothingLeftAsync();
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task KilledAndInterruptedTestHosts_LeaveNothing_AsAnOrdinaryUser()
    {
        OrdinaryUser user = await RequireRootAsync();
        string tests = Path.Combine(RepositoryRoot(), "tests");
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string[] apps = ["Arker.Testing.Apps.Xunit", "Arker.Testing.Apps.NUnit", "Arker.Testing.Apps.MSTest", "Arker.Testing.Apps.TUnit"];
        string work = await user.CopyAsync([
            (Path.Combine(tests, "Arker.Testing.Platform.Tests", "bin", configuration, "net10.0"), "platform-tests"),
            .. apps.Select(app => (Path.Combine(tests, "Apps", app), Path.Combine("apps", app)))]);
        try
        {
            var environment = MachineVariables(new() { ["CI"] = "true", ["ARKER_TEST_APPSFOLDER"] = Path.Combine(work, "apps") });

            (int exitCode, string output) = await user.RunAsAsync(
                Path.Combine(work, "platform-tests", "Arker.Testing.Platform.Tests"), [.. Options(work), "--filter-class", "*CrashCleanupTests", "--filter-class", "*.InterruptTests"], work, environment);

            AssertPassed(exitCode, output, atLeast: 10); // each framework's app killed and interrupted, and the two single cases
            await AssertNothingLeftAsync();
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<OrdinaryUser> RequireRootAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("This run is the rootless one: every test in it ran as an ordinary user.");
        }

        return await OrdinaryUser.EnsureAsync();
    }

    /// <summary><paramref name="environment"/> with what base names stand for here and where VMs install packages from (never beyond this machine), as this run has them.</summary>
    private static Dictionary<string, string> MachineVariables(Dictionary<string, string> environment)
    {
        foreach (string variable in (string[])["ARKER_TESTING_LOCAL_IMAGES", "ARKER_SAMPLES_APT_REPOSITORY"])
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                environment[variable] = value;
            }
        }

        return environment;
    }

    private static string[] Options(string work) => ["--progress", "off", "--no-ansi", "--results-directory", Path.Combine(work, "results")];

    private static void AssertPassed(int exitCode, string output, int atLeast)
    {
        string tail = output.Length > 6000 ? output[^6000..] : output;
        Match succeeded = Regex.Match(output, @"succeeded: (\d+)");
        Assert.True(exitCode == 0 && succeeded.Success && int.Parse(succeeded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= atLeast,
            $"the run as {OrdinaryUser.Name} ended with exit code {exitCode} (at least {atLeast} tests had to pass):\n{tail}");
        Assert.Matches(@"failed: 0\b", output);
    }

    /// <summary>No process of the ordinary user, or of its subordinate ids (VMs' root and other users), outlives its run: no server, namespace helper or VM.</summary>
    private static async Task AssertNothingLeftAsync()
    {
        string left = "";
        for (int i = 0; i < 50; i++)
        {
            left = string.Join('\n', await OrdinaryUser.ProcessesAsync());
            if (left.Length == 0)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"processes of {OrdinaryUser.Name} outlived its run:\n{left}");
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Arker.Testing.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository (Arker.Testing.sln) is not above this test's output folder");
    }
}
