using System.Diagnostics;
using System.Globalization;
using System.IO.Pipes;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Arker.Testing.Local.Isolation;
using Arker.Testing.Local.Native;
using Microsoft.Win32.SafeHandles;

namespace Arker.Testing.Bench;

/// <summary>
/// A prototype of a long-lived starter for the local server's sandboxes (<c>starter-prototype.pl</c>),
/// measured by <c>bench starter</c> and not used by the server: one Perl process that forks a child
/// for each start of <c>sandbox-start.pl</c> and runs the script, compiled once, in it, where the
/// server forks and executes Perl for each start. The server's side passes the child's stdin,
/// stdout and stderr with each request and gets back its id with a pidfd (to kill it by), and its
/// exit code when it ends. What the server would need beyond it: every long-lived child's handle
/// (sessions, network set-ups) behind one type, and its own start again when the starter is gone.
/// </summary>
internal sealed class StarterPrototype : IAsyncDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Socket _channel;
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource<Child>> _starting = new();
    private readonly Dictionary<int, Child> _running = [];
    private bool _ended;

    private StarterPrototype(Process process, Socket channel)
    {
        _process = process;
        _channel = channel;
        var reader = new Thread(ReadAnswers) { IsBackground = true, Name = "Arker sandbox starter's answers" };
        reader.Start();
    }

    /// <summary>
    /// Starts the starter; where it cannot start, no starter and why. With <paramref name="keptNamespaces"/>
    /// (as root), it starts as the first process of a PID, mount, IPC and UTS namespace made for it
    /// and kept while it runs, whose tenants <see cref="EnterAsync"/> starts (<c>tenant-prototype.pl</c>).
    /// </summary>
    public static async Task<(StarterPrototype? Starter, string? Reason)> StartAsync(string perl, bool keptNamespaces = false)
    {
        int pidfd = LibC.PidfdOpen(Environment.ProcessId);
        if (pidfd < 0)
        {
            return (null, "this kernel has no pidfds (Linux 5.3 and later), by which the server kills what the starter forked");
        }

        _ = LibC.close(pidfd);
        ArchitectureCalls calls = SystemCalls.ForThisMachine();
        string channelName = "arker-starter-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + channelName));
        listener.Listen(1);
        string[] keeper = keptNamespaces ? ["--mount", "--pid", "--fork", "--ipc", "--uts", "--propagation", "private", "--", perl] : [];
        ProcessStartInfo start = ChildProcesses.PipedWithCleanEnvironment(keptNamespaces ? "unshare" : perl); // its children, the sandboxes' starts, inherit this environment
        foreach (string argument in (string[])[.. keeper, "-e", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "starter-prototype.pl")),
            $"channel={channelName}", $"script={EmbeddedScript.Read("Arker.Testing.Local.Isolation.sandbox-start.pl")}", $"prctl={calls.Prctl}", $"recvmsg={calls.Recvmsg}", $"sendmsg={calls.Sendmsg}",
            $"pidfd_open={SystemCalls.PidfdOpen}", .. keptNamespaces ? [$"tenant={File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "tenant-prototype.pl"))}"] : Array.Empty<string>()])
        {
            start.ArgumentList.Add(argument);
        }

        Process process = await ChildProcesses.StartAsync(start);
        Socket? channel = null;
        try
        {
            using var patience = new CancellationTokenSource(StartPatience);
            channel = await listener.AcceptAsync(patience.Token);
            int peer = SocketMessages.PeerProcess(channel);
            if (peer != process.Id && !(keptNamespaces && ParentOf(peer) == process.Id)) // in kept namespaces, unshare's child
            {
                throw new OperationCanceledException();
            }

            channel.Blocking = true;
            byte[] ready = new byte[6];
            int read = 0;
            while (read < ready.Length && channel.Receive(ready, read, ready.Length - read, SocketFlags.None) is > 0 and int more)
            {
                read += more;
            }

            if (Encoding.ASCII.GetString(ready, 0, read) != "ready\n")
            {
                throw new OperationCanceledException();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            channel?.Dispose();
            ChildProcesses.Kill(process);
            string error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.Dispose();
            return (null, $"the sandbox starter did not start ({error.Trim()})");
        }

        _ = DrainAsync(process.StandardError);
        return (new StarterPrototype(process, channel), null);
    }

    /// <summary>
    /// Starts <c>sandbox-start.pl</c> with <paramref name="arguments"/> in a child of the starter, its
    /// stdio piped to this process.
    /// </summary>
    /// <exception cref="IOException">The starter has ended, or could not fork.</exception>
    public Task<Child> StartAsync(IReadOnlyList<string> arguments) => ForkAsync("start", arguments);

    /// <summary>Starts <c>tenant-prototype.pl</c> with <paramref name="arguments"/> in a child of a starter in kept namespaces.</summary>
    /// <exception cref="IOException">The starter has ended, or could not fork.</exception>
    public Task<Child> EnterAsync(IReadOnlyList<string> arguments) => ForkAsync("enter", arguments);

    private async Task<Child> ForkAsync(string verb, IReadOnlyList<string> arguments)
    {
        var input = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        var output = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var errors = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var started = new TaskCompletionSource<Child>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var request = new StringBuilder(verb).Append('\0');
            foreach (string argument in arguments)
            {
                request.Append(argument).Append('\0');
            }

            byte[] bytes = Encoding.UTF8.GetBytes(request.Append('\n').ToString());
            lock (_gate)
            {
                if (_ended)
                {
                    throw new IOException("the sandbox starter has ended");
                }

                SocketMessages.SendWithDescriptors(_channel, bytes, input.ClientSafePipeHandle, output.ClientSafePipeHandle, errors.ClientSafePipeHandle);
                _starting.Enqueue(started);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Dispose(input, output, errors);
            throw new IOException("the sandbox starter has ended", ex);
        }
        catch
        {
            Dispose(input, output, errors);
            throw;
        }
        finally
        {
            input.DisposeLocalCopyOfClientHandle();
            output.DisposeLocalCopyOfClientHandle();
            errors.DisposeLocalCopyOfClientHandle();
        }

        Child child;
        try
        {
            child = await started.Task;
        }
        catch
        {
            Dispose(input, output, errors);
            throw;
        }

        child.Attach(input, output, errors);
        return child;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _ended = true;
        }

        _channel.Dispose(); // the starter exits when its channel closes
        await ChildProcesses.EndAsync(_process, TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Reads the starter's answers, in order: "started PID" (with the child's pidfd) for the oldest
    /// start waiting, "failed ERRNO" for it, "exited PID CODE" whenever a child ends. When the
    /// starter is gone, waiting starts fail and running children count as killed with it.
    /// </summary>
    private void ReadAnswers()
    {
        byte[] buffer = new byte[4096];
        var pending = new List<byte>();
        var descriptors = new List<int>();
        try
        {
            while (true)
            {
                int read = SocketMessages.ReceiveWithDescriptors(_channel, buffer, descriptors);
                if (read <= 0)
                {
                    break;
                }

                pending.AddRange(buffer.AsSpan(0, read));
                int end;
                while ((end = pending.IndexOf((byte)'\n')) >= 0)
                {
                    string line = Encoding.ASCII.GetString([.. pending.GetRange(0, end)]);
                    pending.RemoveRange(0, end + 1);
                    Answer(line.Split(' '), descriptors);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The channel closed: the starter, or this server, is stopping.
        }

        foreach (int descriptor in descriptors)
        {
            _ = LibC.close(descriptor);
        }

        EndEverything();
    }

    private void Answer(string[] words, List<int> descriptors)
    {
        switch (words)
        {
            case ["started", var id]:
                int pid = int.Parse(id, CultureInfo.InvariantCulture);
                int pidfd = -1;
                if (descriptors.Count > 0)
                {
                    pidfd = descriptors[0];
                    descriptors.RemoveAt(0);
                }

                var child = new Child(pid, new SafeFileHandle(pidfd, ownsHandle: true));
                TaskCompletionSource<Child> started;
                lock (_gate)
                {
                    _running[pid] = child;
                    started = _starting.Dequeue();
                }

                started.SetResult(child);
                break;
            case ["failed", var errno]:
                TaskCompletionSource<Child> failed;
                lock (_gate)
                {
                    failed = _starting.Dequeue();
                }

                failed.SetException(new IOException($"the sandbox starter could not fork: {LibC.Describe(int.Parse(errno, CultureInfo.InvariantCulture))}"));
                break;
            case ["exited", var id, var code]:
                Child? ended;
                lock (_gate)
                {
                    _running.Remove(int.Parse(id, CultureInfo.InvariantCulture), out ended);
                }

                ended?.Exited(int.Parse(code, CultureInfo.InvariantCulture));
                break;
        }
    }

    private void EndEverything()
    {
        TaskCompletionSource<Child>[] starting;
        Child[] running;
        lock (_gate)
        {
            _ended = true;
            starting = [.. _starting];
            _starting.Clear();
            running = [.. _running.Values];
            _running.Clear();
        }

        foreach (TaskCompletionSource<Child> start in starting)
        {
            start.TrySetException(new IOException("the sandbox starter has ended"));
        }

        foreach (Child child in running)
        {
            child.Exited(128 + LibC.SigKill); // bubblewrap dies with its parent, the starter
        }
    }

    private static int ParentOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 4)..].Split(' ')[0], CultureInfo.InvariantCulture); // after "comm) S "
    }

    private static void Dispose(params Stream[] streams)
    {
        foreach (Stream stream in streams)
        {
            stream.Dispose();
        }
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null)
        {
        }
    }

    /// <summary>A child of the starter: its pipes, its pidfd, and the exit code the starter reports.</summary>
    public sealed class Child(int pid, SafeFileHandle pidfd) : IDisposable
    {
        private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private StreamWriter? _input;
        private StreamReader? _output;
        private StreamReader? _errors;

        public int Id => pid;

        public StreamWriter StandardInput => _input!;

        public StreamReader StandardOutput => _output!;

        public StreamReader StandardError => _errors!;

        public bool HasExited => _exit.Task.IsCompleted;

        public void Attach(Stream input, Stream output, Stream errors)
        {
            var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
            _input = new StreamWriter(input, utf8) { AutoFlush = true };
            _output = new StreamReader(output, utf8);
            _errors = new StreamReader(errors, utf8);
        }

        public void Exited(int code) => _exit.TrySetResult(code);

        public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) =>
            await _exit.Task.WaitAsync(cancellationToken);

        public void Kill()
        {
            if (!HasExited && !pidfd.IsInvalid)
            {
                _ = LibC.PidfdSendSignal((int)pidfd.DangerousGetHandle(), LibC.SigKill);
            }
        }

        public void Dispose()
        {
            pidfd.Dispose();
            _input?.Dispose();
            _output?.Dispose();
            _errors?.Dispose();
        }
    }
}
