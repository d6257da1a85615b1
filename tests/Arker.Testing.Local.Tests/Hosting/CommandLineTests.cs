using System.Diagnostics;
using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Hosting;

public sealed class CommandLineTests(LocalServerFixture fixture)
{
    [Fact]
    public async Task Help_ListsEveryOption_AndNamesTheBaseOfArkerApi01Clients()
    {
        (int exitCode, string output) = await RunToEndAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("<origin>/arker-0.1", output);
        Assert.Contains("without root /dev/shm/arker-local-<uid>", System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "), StringComparison.Ordinal); // what DataRoot picks
        foreach (string option in new[] { "--urls", "--api-key", "--data-root", "--rootfs", "--memory-limit", "--process-limit", "--run-timeout", "--share-network", "--fault-rate", "--fault-seed", "--max-layers", "--image", "--verbose" })
        {
            Assert.Contains(option, output);
        }
    }

    [Fact]
    public async Task BadOptionValues_AreRefusedWithAMessageNamingEach()
    {
        (int exitCode, string output) = await RunToEndAsync("--fault-rate", "2", "--memory-limit", "1", "--urls", "ftp://example", "--image", "ubuntu-base");

        Assert.Equal(1, exitCode);
        Assert.Contains("--image takes name=reference, such as ubuntu-base=127.0.0.1:5000/ubuntu:24.04 (got 'ubuntu-base')", output);
        Assert.Contains("--fault-rate is a fraction from 0 to 1 (got 2)", output);
        Assert.Contains("--memory-limit must be at least 16 (got 1)", output);
        Assert.Contains("--urls must be an http:// address", output);
    }

    [Fact]
    public async Task AServerWhoseChildrenAllDied_StillStopsCleanly_AndLeavesNothing()
    {
        // Sandboxes, network set-ups and, without root, the namespace helper that holds every mount:
        // killed underneath the server (a signal meant for the test run, say), the server must still
        // stop in order, with nothing left behind and no crash on the way.
        using var temporary = new TemporaryDataRoot();
        using ServerProcess server = await ServerProcess.StartAsync("--data-root", temporary.Path, "--api-key", "ark_local_test=acme");
        var api = new ApiClient(fixture.Http, server.V01BaseUrl, "ark_local_test");
        string vm = await api.ForkAsync();
        (await api.RunAsync(vm, "sleep 6502 &")).Succeeded();
        List<int> children = ProcessTree.DescendantsOf(server.Process.Id);
        Assert.NotEmpty(children);

        foreach (int child in children)
        {
            using Process? process = TryGetProcess(child);
            process?.Kill();
        }

        (int exitCode, string errors) = await server.StopAsync();

        Assert.True(exitCode == 0, $"exit code {exitCode}: {errors}");
        Assert.DoesNotContain("Unhandled", errors, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(temporary.Path));
        Assert.Empty(ServerMounts.Under(temporary.Path));
        Assert.Equal(0, HostProcesses.Count("sleep 6502"));
    }

    [Fact]
    public async Task Sigterm_StopsTheServerAndCleansUp()
    {
        using var temporary = new TemporaryDataRoot();
        string dataRoot = temporary.Path;
        using ServerProcess server = await ServerProcess.StartAsync("--data-root", dataRoot, "--api-key", "ark_local_test=acme");
        Process process = server.Process;
        var api = new ApiClient(fixture.Http, server.V01BaseUrl, "ark_local_test");
        string vm = await api.ForkAsync();
        (await api.RunAsync(vm, "sleep 6501 &")).Succeeded();

        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).WaitForExit();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, process.ExitCode);
        Assert.Empty(Directory.GetDirectories(dataRoot));
        Assert.Equal(0, HostProcesses.Count("sleep 6501"));
    }

    private static async Task<(int ExitCode, string Output)> RunToEndAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [ServerProcess.ServerDll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        string output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, output + await error);
    }

    private static Process? TryGetProcess(int processId)
    {
        try
        {
            return Process.GetProcessById(processId);
        }
        catch (ArgumentException)
        {
            return null; // ended already
        }
    }
}
