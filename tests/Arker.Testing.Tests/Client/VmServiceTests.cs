using Arker.Testing.Tests.Infrastructure;

namespace Arker.Testing.Tests.Client;

/// <summary>A background program in a VM, as users start services: started, waited for (never slept for), read and stopped.</summary>
public sealed class VmServiceTests(LocalServer local)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_web_service_is_ready_when_its_port_and_path_answer_and_stops_with_everything_it_started()
    {
        Computer vm = await ForkAsync();
        await vm.Sync.WriteFileAsync("/home/user/site/health", "ok\n", Cancellation);

        VmService web = await vm.StartServiceAsync("cd site && python3 -m http.server 8080 --bind 127.0.0.1", cancellationToken: Cancellation);
        await web.WaitForPortAsync(8080, TimeSpan.FromSeconds(20), Cancellation);
        await web.WaitForHttpAsync(8080, "/health", TimeSpan.FromSeconds(20), Cancellation);
        string output = await web.ReadOutputAsync(Cancellation);
        int? exitCode = await web.StopAsync(cancellationToken: Cancellation);

        Assert.Equal("python3", web.Name);
        Assert.Contains("\"GET /health HTTP/1.0\" 200", output, StringComparison.Ordinal);
        Assert.Null(exitCode); // stopped, not exited by itself
        Assert.Equal("gone\n", (await vm.RunAsync($"kill -0 -- -{web.ProcessId} 2>/dev/null && echo running || echo gone; (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && echo listening", Cancellation)).StdoutText);
        Assert.Equal("/home/user\n", (await vm.RunAsync("pwd", Cancellation)).StdoutText); // the test's session kept its state
    }

    [Fact]
    public async Task A_line_of_output_or_a_file_makes_a_service_ready()
    {
        Computer vm = await ForkAsync();

        VmService worker = await vm.StartServiceAsync("sleep 0.3; echo 'worker: ready to take jobs'; touch /tmp/worker.ready; exec sleep 600", "worker", Cancellation);
        await worker.WaitForOutputAsync("ready to take jobs", TimeSpan.FromSeconds(20), Cancellation);
        await worker.WaitForFileAsync("/tmp/worker.ready", TimeSpan.FromSeconds(20), Cancellation);

        Assert.Equal("worker: ready to take jobs\n", await worker.ReadOutputAsync(Cancellation));
        Assert.Equal("/tmp/arker-services/worker.log", worker.OutputPath);
        Assert.Null(await worker.StopAsync(TimeSpan.FromSeconds(1), Cancellation));
    }

    [Fact]
    public async Task A_service_that_exits_fails_the_wait_at_once_with_its_exit_code_and_output()
    {
        Computer vm = await ForkAsync();
        VmService broken = await vm.StartServiceAsync("echo 'config: port missing' >&2; exit 3", "broken", Cancellation);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => broken.WaitForPortAsync(8080, TimeSpan.FromSeconds(60), Cancellation));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the wait took {clock.Elapsed}, not failing as the service exited");
        Assert.Equal(
            $"The service broken (echo 'config: port missing' >&2; exit 3) in VM {vm.Id} exited with code 3 before it was ready (nothing accepted connections on port 8080 in the VM). Its output:\nconfig: port missing",
            error.Message);
        Assert.Equal(3, await broken.StopAsync(cancellationToken: Cancellation));
    }

    [Fact]
    public async Task A_service_that_never_gets_ready_times_out_naming_what_never_happened()
    {
        Computer vm = await ForkAsync();
        VmService slow = await vm.StartServiceAsync("echo starting; sleep 600", "slow", Cancellation);

        var port = await Assert.ThrowsAsync<TimeoutException>(() => slow.WaitForHttpAsync(8081, "/ready", TimeSpan.FromSeconds(1), Cancellation));
        var line = await Assert.ThrowsAsync<TimeoutException>(() => slow.WaitForOutputAsync("listening", TimeSpan.FromSeconds(1), Cancellation));

        Assert.Equal($"The service slow (echo starting; sleep 600) in VM {vm.Id} was not ready within 1 s: GET /ready on port 8081 in the VM never answered with a 2xx or 3xx status. Its output:\nstarting", port.Message);
        Assert.Contains("its output never showed \"listening\"", line.Message, StringComparison.Ordinal);
        await slow.StopAsync(cancellationToken: Cancellation);
    }

    [Fact]
    public async Task A_stopped_or_exited_service_starts_again_under_its_name_with_fresh_output()
    {
        Computer vm = await ForkAsync();
        VmService first = await vm.StartServiceAsync("echo first run; exec sleep 600", "app", Cancellation);
        await first.WaitForOutputAsync("first run", TimeSpan.FromSeconds(20), Cancellation);
        await first.StopAsync(cancellationToken: Cancellation);
        VmService quick = await vm.StartServiceAsync("echo second run; exit 4", "app", Cancellation);
        await quick.WaitForFileAsync("/tmp/arker-services/app.exit", TimeSpan.FromSeconds(20), Cancellation);
        int? quickExit = await quick.StopAsync(cancellationToken: Cancellation);

        VmService third = await vm.StartServiceAsync("echo third run; exec sleep 600", "app", Cancellation);
        await third.WaitForOutputAsync("third run", TimeSpan.FromSeconds(20), Cancellation);

        Assert.Equal(4, quickExit);
        Assert.Equal("third run\n", await third.ReadOutputAsync(Cancellation));
        Assert.Null(await third.StopAsync(cancellationToken: Cancellation));
    }

    [Fact]
    public async Task Bad_input_is_refused_with_what_to_do()
    {
        Computer vm = await ForkAsync();
        await vm.StartServiceAsync("sleep 600", "sleeper", Cancellation);

        var twice = await Assert.ThrowsAsync<InvalidOperationException>(() => vm.StartServiceAsync("sleep 600", "sleeper", Cancellation));
        var badName = await Assert.ThrowsAsync<ArgumentException>(() => vm.StartServiceAsync("sleep 1", "no spaces", Cancellation));

        Assert.Contains("A service named 'sleeper' still runs", twice.Message, StringComparison.Ordinal);
        Assert.Contains("1 to 64 letters, digits", badName.Message, StringComparison.Ordinal);
        Assert.Equal(("python3", "app.sh", "node", "service"), (VmService.DefaultName("cd site && python3 -m http.server"), VmService.DefaultName("./bin/app.sh --port 1"), VmService.DefaultName("cd web; PORT=80 exec node server.js"), VmService.DefaultName("  ")));
    }

    private async Task<Computer> ForkAsync()
    {
        Computer vm = await local.Client.Vm("arkuntu").ForkAsync(cancellationToken: Cancellation);
        return vm;
    }
}
