namespace Arker.Testing.Client;

/// <summary>
/// A handle on one VM (or, for forking, on an image or VM name such as <c>arkuntu</c>).
/// Cheap to make: no network call until a method is used.
/// </summary>
public sealed class Computer
{
    private readonly ArkerClient _client;

    internal Computer(ArkerClient client, string id)
    {
        _client = client;
        Id = id;
        Sync = new ComputerSync(client, this);
    }

    /// <summary>The VM's id (or the name this handle was opened with).</summary>
    public string Id { get; }

    /// <summary>Reading and writing the VM's files (see <see cref="ComputerSync"/> for which paths each API generation reaches).</summary>
    public ComputerSync Sync { get; }

    /// <summary>
    /// A new VM that starts as an exact copy of this one (constant time, copy-on-write). Names that
    /// are not VM ids (such as <c>arkuntu</c>) are resolved by the service.
    /// </summary>
    public Task<Computer> ForkAsync(ForkOptions? options = null, CancellationToken cancellationToken = default) =>
        _client.ForkAsync(Id, options, cancellationToken);

    /// <summary>What this VM did, kept when it is a test's own (see <see cref="AttachOnFailure"/>); null otherwise.</summary>
    internal VmEvidence? Evidence { get; set; }

    /// <summary>Runs <paramref name="command"/> with bash as the VM's user. A non-zero exit code is a result, not an exception.</summary>
    public Task<RunResult> RunAsync(string command, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        Evidence is { } evidence ? RunRecordedAsync(evidence, command, options, cancellationToken) : _client.RunAsync(Id, command, options, cancellationToken);

    /// <inheritdoc cref="RunAsync(string, RunOptions?, CancellationToken)"/>
    public Task<RunResult> RunAsync(string command, CancellationToken cancellationToken) =>
        RunAsync(command, null, cancellationToken);

    /// <summary>
    /// Starts <paramref name="command"/> in the background, as a service: in the default session's
    /// working directory and environment, its output kept in <c>/tmp/arker-services/NAME.log</c>
    /// (attached to the test's result should a test's VM fail). Wait for it with the returned
    /// service's <c>WaitFor…Async</c> methods (never a sleep) and stop it with <c>StopAsync</c>;
    /// deleting the VM stops it too.
    /// </summary>
    /// <param name="command">The service's command line (bash).</param>
    /// <param name="name">Its name in the VM (1 to 64 of <c>A–Z a–z 0–9 . _ -</c>); by default the program of the command's last step (<c>python3</c>).</param>
    /// <param name="cancellationToken">Cancels starting it.</param>
    public Task<VmService> StartServiceAsync(string command, string? name = null, CancellationToken cancellationToken = default) =>
        VmService.StartAsync(this, command, name, cancellationToken);

    /// <summary>
    /// Attaches the VM file at <paramref name="path"/> (absolute) to the test's result if the test fails, beside the transcript of its commands: read as the
    /// test ends, before its VM is deleted. Only a test's own VM keeps evidence.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is not a test's own VM.</exception>
    public void AttachOnFailure(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException($"AttachOnFailure takes an absolute path in the VM (such as /var/log/app.log or /home/user/app.log), not '{path}'.", nameof(path));
        }

        VmEvidence evidence = Evidence ?? throw new InvalidOperationException(
            $"VM {Id} is not a test's own VM, so nothing is attached when a test fails: call AttachOnFailure on the test's Vm (ArkerTest.Vm, or the Vm of a lease from a fixture), or list the file in the template's AttachOnFailure.");
        evidence.AddFile(path);
    }

    private async Task<RunResult> RunRecordedAsync(VmEvidence evidence, string command, RunOptions? options, CancellationToken cancellationToken)
    {
        long start = evidence.Clock.GetTimestamp();
        string session = (options?.SessionId ?? SessionId.Default).Value;
        try
        {
            RunResult result = await _client.RunAsync(Id, command, options, cancellationToken);
            evidence.Add(CommandRecord.Completed(result, evidence.Clock.GetElapsedTime(evidence.Started, start)));
            return result;
        }
        catch (Exception ex)
        {
            evidence.Add(CommandRecord.Failed(command, session, evidence.Clock.GetElapsedTime(evidence.Started, start), evidence.Clock.GetElapsedTime(start), ex));
            throw;
        }
    }

    /// <summary>Deletes the VM and kills its processes. Deleting a VM that is already gone throws <c>not_found</c>.</summary>
    public Task DeleteAsync(CancellationToken cancellationToken = default) => _client.DeleteAsync(Id, cancellationToken);

    /// <summary>A shell command that runs <paramref name="command"/> in this VM with curl, for a person at a terminal.</summary>
    internal string CurlCommandThatRuns(string command) => _client.CurlCommandThatRuns(Id, command);

    /// <summary>Deletes the VM; returns <see langword="false"/> if it was already gone.</summary>
    public async Task<bool> TryDeleteAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.DeleteAsync(Id, cancellationToken);
            return true;
        }
        catch (ArkerException ex) when (ex.Code == "not_found")
        {
            return false;
        }
    }

    /// <summary>
    /// Waits until something in the VM accepts TCP connections on its 127.0.0.1:<paramref name="guestPort"/>
    /// (a service a test or template started in the background), trying every 50 ms from a session
    /// of its own (<c>arker-wait</c>), so the test's sessions are left as they were. Readiness is
    /// waited for, never slept for.
    /// </summary>
    /// <param name="guestPort">The port in the VM.</param>
    /// <param name="timeout">How long to wait; 30 seconds when not given.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">Nothing accepted connections on the port in time; the message says which port and how long, and where to look.</exception>
    public async Task WaitForPortAsync(int guestPort, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(guestPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(guestPort, 65535);
        TimeSpan patience = timeout ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(patience, TimeSpan.Zero, nameof(timeout));
        string port = guestPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        int seconds = (int)Math.Ceiling(patience.TotalSeconds);
        RunResult waited = await RunAsync(
            VmService.PollCommand($"exec 3<>/dev/tcp/127.0.0.1/{port}", seconds),
            new RunOptions { SessionId = "arker-wait", Timeout = patience + TimeSpan.FromSeconds(30) },
            cancellationToken);
        if (waited.ExitCode != 0)
        {
            throw new TimeoutException(
                $"Nothing in VM {Id} accepted connections on its port {port} within {seconds} s. Check that the service started and listens on 127.0.0.1 or all addresses, port {port}: its own output (a log file it writes) says why it did not."
                + (waited.ExitCode == 124 ? "" : $" (the wait itself ended with exit code {waited.ExitCode}: {waited.StderrText.Trim()})"));
        }
    }

    /// <summary>
    /// Makes the VM's <paramref name="guestPort"/> reachable from this machine and returns where:
    /// a service in the VM (a web app, a database) that listens on the VM's 127.0.0.1 or on all
    /// addresses is then called at that URL, with any TCP protocol. Exposing the same port again
    /// returns the same URL; the port closes with the VM. A port nothing listens on in the VM takes
    /// connections and closes them at once. Served by the local Arker server on the current API
    /// (a local extension); on 0.1, and on a service without it, it throws
    /// <see cref="NotSupportedException"/>.
    /// </summary>
    public Task<Uri> ExposePortAsync(int guestPort, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(guestPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(guestPort, 65535);
        return _client.ExposePortAsync(Id, guestPort, cancellationToken);
    }

    /// <summary>
    /// Lets programs in the VM reach this machine's <paramref name="hostPort"/> (a fake API the test
    /// started, for example) at the VM's 127.0.0.1:<paramref name="guestPort"/> (the same number when
    /// not given; 1024 or above), and returns that address as the VM sees it. Nothing else of this
    /// machine becomes reachable. Served by the local Arker server on the current API (a local
    /// extension); on 0.1 it throws <see cref="NotSupportedException"/>.
    /// </summary>
    public Task<Uri> ForwardHostPortAsync(int hostPort, int? guestPort = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hostPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hostPort, 65535);
        return _client.ForwardHostPortAsync(Id, hostPort, guestPort, cancellationToken);
    }

    /// <summary>The VM's network policy (see <see cref="NetworkPolicy"/>); <see cref="NetworkPolicy.Default"/> when none is set.</summary>
    public Task<NetworkPolicy> GetNetworkPolicyAsync(CancellationToken cancellationToken = default) =>
        _client.GetNetworkPolicyAsync(Id, cancellationToken);

    /// <summary>
    /// Replaces the VM's network policy; it applies from the next connection, and forks made after
    /// it start with it. Returns the policy as stored. What a server cannot enforce is refused
    /// (<see cref="ArkerException"/> with code <c>unsupported_operation</c>). The 0.1 API has no
    /// policies: on 0.1 only the local Arker server serves them; elsewhere this throws <see cref="NotSupportedException"/>.
    /// </summary>
    public Task<NetworkPolicy> SetNetworkPolicyAsync(NetworkPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return _client.SetNetworkPolicyAsync(Id, policy, cancellationToken);
    }

    /// <summary>The VM's id.</summary>
    public override string ToString() => Id;
}
