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
        // Sandboxes and the namespace helper (which makes VM networks, and without root holds every mount):
        // killed underneath the server (a signal meant for the test run, say), the server must still
        // stop in order, with nothing left behind and no crash on the way.
        using var temporary = new TemporaryDataRoot();
        using ServerProcess server = await StartServerAsync(temporary);
        ApiClient api = Api(server);
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
    public async Task AVmsNewSession_StartsInTheServersNamespaces_EvenOnceTheNamespaceHelperIsKilled()
    {
        // Without root the server's namespaces are the helper's, held by descriptors from its start:
        // killed, the helper can no longer mount, but the namespaces (and every VM's files) stay the
        // ones the server made, never those of whatever process takes the helper's id next. As root
        // the helper only makes networks, and the same must hold.
        using var temporary = new TemporaryDataRoot();
        using ServerProcess server = await StartServerAsync(temporary);
        ApiClient api = Api(server);
        string vm = await api.ForkAsync();
        (await api.RunAsync(vm, "echo kept > ~/kept")).Succeeded();
        foreach (int helper in ProcessTree.DescendantsOf(server.Process.Id).Where(IsNamespaceHelper))
        {
            KillAndWaitFor(helper);
        }

        RunResult inANewSession = await api.RunAsync(vm, "cat ~/kept", sessionId: "after the helper");
        (int exitCode, string errors) = await server.StopAsync();

        Assert.Equal("kept\n", inANewSession.Succeeded().StdoutText);
        Assert.True(exitCode == 0, $"exit code {exitCode}: {errors}");
        Assert.DoesNotContain("Unhandled", errors, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(temporary.Path));
        Assert.Empty(ServerMounts.Under(temporary.Path));
    }

    [Fact]
    public async Task AsRoot_AKilledNetworkHelper_IsReplaced_AndLaterVmsStillGetNetworksOfTheirOwn()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("As root the helper only makes networks; without root it holds the server's namespaces, and a killed one is the test above.");
        }

        // The helper makes every VM network, ahead of need; killed (a signal meant for the test run,
        // say), the next network must come from a new one, never from nowhere.
        using var temporary = new TemporaryDataRoot();
        using ServerProcess server = await StartServerAsync(temporary);
        ApiClient api = Api(server);
        (await api.RunAsync(await api.ForkAsync(), "true")).Succeeded();
        int killed = Assert.Single(ProcessTree.DescendantsOf(server.Process.Id), IsNamespaceHelper);
        KillAndWaitFor(killed);

        var routes = new List<string>();
        for (int vm = 0; vm < 4; vm++) // more than the networks made ahead of need
        {
            RunResult route = await api.RunAsync(await api.ForkAsync(), "tail -n +2 /proc/net/route | cut -f1,2");
            routes.Add(route.Succeeded().StdoutText);
        }

        int[] helpersAfter = [.. ProcessTree.DescendantsOf(server.Process.Id).Where(IsNamespaceHelper)];
        using Process? replacement = helpersAfter.Length == 1 ? TryGetProcess(helpersAfter[0]) : null;
        (int exitCode, string errors) = await server.StopAsync();

        Assert.All(routes, route => Assert.Equal("lo\t00000000\n", route)); // the set-up's route, not a bare namespace's none
        Assert.DoesNotContain(killed, helpersAfter);
        Assert.Single(helpersAfter);
        Assert.True(exitCode == 0, $"exit code {exitCode}: {errors}");
        Assert.Empty(Directory.GetFileSystemEntries(temporary.Path));
        Assert.True(replacement is null || replacement.WaitForExit(TimeSpan.FromSeconds(5)), "the new helper should end with the server");
    }

    [Fact]
    public async Task TheServer_WatchesNoFolder()
    {
        // A host's default configuration watches its current folder for settings files, with an
        // inotify watch for every folder below it: tens of thousands from a home folder, taken from
        // the user's limit, and every VM's folders walked when the data root lies below it.
        using var temporary = new TemporaryDataRoot();
        using ServerProcess server = await StartServerAsync(temporary);
        ApiClient api = Api(server);
        (await api.RunAsync(await api.ForkAsync(), "true")).Succeeded();

        int watches = Directory.EnumerateFiles($"/proc/{server.Process.Id}/fdinfo")
            .Sum(info => File.ReadLines(info).Count(line => line.StartsWith("inotify ", StringComparison.Ordinal)));

        Assert.Equal(0, watches);
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

    [Fact]
    public async Task CachePruneImages_RemovesTheUnpackedRootsNoRunningServerUses_AndListSaysWhich()
    {
        using var temporary = new TemporaryDataRoot();
        string cache = Directory.CreateTempSubdirectory("arker-prune-").FullName;
        string work = Directory.CreateTempSubdirectory("arker-prune-work-").FullName;
        try
        {
            // An archive a running server stands on, and a root left by an earlier run that no server uses.
            string rootfs = Path.Combine(work, "rootfs");
            TestImages.MakeMinimalRootFilesystem(rootfs);
            string archive = Path.Combine(work, "root.tar");
            using (Process tar = Process.Start("tar", ["-cf", archive, "-C", rootfs, "."])!)
            {
                await tar.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            string left = Directory.CreateDirectory(Path.Combine(cache, "images", "roots", "0123456789abcdef")).FullName;
            File.WriteAllText(Path.Combine(left, "file"), "left behind");
            Directory.CreateDirectory(Path.Combine(cache, "images", "layout", "blobs"));
            await using (var server = await LocalArkerServer.StartAsync(new LocalArkerServerOptions { DataRoot = temporary.Path, RootFilesystem = archive, BaseCacheDirectory = cache }, TestContext.Current.CancellationToken))
            {
                string used = Assert.Single(Directory.EnumerateDirectories(Path.Combine(cache, "roots")), d => !Path.GetFileName(d).StartsWith('.'));

                (int listed, string list) = await RunToEndAsync("cache", "list", "--base-cache", cache);
                (int pruned, string prune) = await RunToEndAsync("cache", "prune", "--images", "--base-cache", cache);

                Assert.Equal(0, listed);
                Assert.Contains("2 unpacked root filesystem(s)", list, StringComparison.Ordinal);
                Assert.Contains($"{used}  ", list, StringComparison.Ordinal);
                Assert.Contains("in use by a running server", list, StringComparison.Ordinal);
                Assert.Equal(0, pruned);
                Assert.Contains("Removed 1 unpacked root filesystem(s)", prune, StringComparison.Ordinal);
                Assert.False(Directory.Exists(left));
                Assert.False(Directory.Exists(Path.Combine(cache, "images", "layout"))); // no root of an image left: its blobs went too
                Assert.True(Directory.Exists(used));
            }

            (_, string afterStop) = await RunToEndAsync("cache", "prune", "--images", "--base-cache", cache);
            Assert.Contains("Removed 1 unpacked root filesystem(s)", afterStop, StringComparison.Ordinal); // the server stopped: its root is free
            Assert.DoesNotContain(Directory.EnumerateDirectories(Path.Combine(cache, "roots")), d => !Path.GetFileName(d).StartsWith('.'));
        }
        finally
        {
            Storage.FolderRemoval.Delete(cache);
            Storage.FolderRemoval.Delete(work);
        }
    }

    private static Task<(int ExitCode, string Output)> RunToEndAsync(params string[] args) =>
        ProgramRun.ToEndAsync("dotnet", [ServerProcess.ServerDll, .. args]);

    /// <summary>Whether a process is a rootless server's namespace helper (given its channel's name).</summary>
    private static bool IsNamespaceHelper(int processId)
    {
        try
        {
            return File.ReadAllText($"/proc/{processId}/cmdline").Contains("channel=arker-local-", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static Task<ServerProcess> StartServerAsync(TemporaryDataRoot dataRoot) =>
        ServerProcess.StartAsync("--data-root", dataRoot.Path, "--api-key", "ark_local_test=acme");

    private ApiClient Api(ServerProcess server) => new(fixture.Http, server.V01BaseUrl, "ark_local_test");

    private static void KillAndWaitFor(int processId)
    {
        using Process? process = TryGetProcess(processId);
        process?.Kill();
        process?.WaitForExit();
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
