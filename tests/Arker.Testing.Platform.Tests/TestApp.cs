using System.Diagnostics;
using System.Text;

namespace Arker.Testing.Platform.Tests;

/// <summary>
/// One of the small test applications in tests/Apps, started as a real process the way a user's
/// test run starts: through Microsoft.Testing.Platform, with the Arker extension registered by its
/// builder hook.
/// </summary>
internal sealed class TestApp
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly bool _vstest;

    private TestApp(string name, bool vstest = false)
    {
        Name = name;
        _vstest = vstest;
    }

    public static TestApp Xunit { get; } = new("Arker.Testing.Apps.Xunit");

    public static TestApp NUnit { get; } = new("Arker.Testing.Apps.NUnit");

    /// <summary>The NUnit app in VSTest mode, run by <c>dotnet vstest</c>: no Microsoft.Testing.Platform, so no extension.</summary>
    public static TestApp NUnitOnVSTest { get; } = new("Arker.Testing.Apps.VSTest", vstest: true);

    public static TestApp MSTest { get; } = new("Arker.Testing.Apps.MSTest");

    public static TestApp TUnit { get; } = new("Arker.Testing.Apps.TUnit");

    /// <summary>The app of each framework Arker.Testing has an adapter for.</summary>
    public static TheoryData<string> All => [Xunit.Name, NUnit.Name, MSTest.Name, TUnit.Name];

    public string Name { get; }

    public static TestApp Named(string name) =>
        new[] { Xunit, NUnit, MSTest, TUnit }.SingleOrDefault(app => app.Name == name) ?? throw new ArgumentException($"No test app {name}", nameof(name));

    /// <summary>Runs the app to its end.</summary>
    public async Task<AppRun> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        using RunningApp app = Start(arguments, environment);
        return await app.WaitForExitAsync();
    }

    /// <summary>
    /// Starts the app as a terminal starts a command: in a process group of its own (its id is the
    /// app's), with SIGINT's default action, so a signal to the group is a terminal's Ctrl-C.
    /// </summary>
    public RunningApp StartAsATerminalWould(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        RunningApp.Start("setsid", [.. ResettingSigInt, Executable, .. arguments, "--no-ansi", "--progress", "off"], environment, Patience);

    /// <summary>A prefix that runs the rest with SIGINT's default action (a test run started in the background may have it ignored, and children inherit that).</summary>
    public static IReadOnlyList<string> ResettingSigInt { get; } = ["perl", "-e", "$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec $ARGV[0]: $!\";"];

    /// <summary>Where the app is built, for <c>dotnet test --test-modules … --root-directory</c>.</summary>
    public string OutputFolder => Path.GetDirectoryName(Executable)!;

    /// <summary>Starts the app; dispose the result to kill whatever of it still runs.</summary>
    public RunningApp Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        _vstest
            ? RunningApp.Start("dotnet", arguments.Prepend(Executable + ".dll").Prepend("vstest"), environment, Patience)
            : RunningApp.Start(Executable, arguments.Append("--no-ansi").Append("--progress").Append("off"), environment, Patience);

    private string Executable
    {
        get
        {
            string Metadata(string key) => BuildMetadata.Get(key);
            string path = Path.Combine(Metadata("AppsFolder"), Name, "bin", Metadata("Configuration"), "net10.0", Name);
            return File.Exists(path) || File.Exists(path + ".dll") ? path
                : throw new FileNotFoundException($"The test app {Name} is not built at {path}; building this test project builds it (dotnet build -c {Metadata("Configuration")}).", path);
        }
    }
}

/// <summary>A started test app: its process (the one that starts the test host) and its output so far.</summary>
internal sealed class RunningApp : IDisposable
{
    private readonly StringBuilder _output = new();
    private readonly TimeSpan _patience;

    /// <summary>
    /// Starts a program with this process's environment minus every Arker and test-platform
    /// variable (this run's own) but what base names stand for on this machine
    /// (<c>ARKER_TESTING_LOCAL_IMAGES</c>: never a registry beyond it), plus <paramref name="environment"/>.
    /// </summary>
    public static RunningApp Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, TimeSpan patience, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string inherited in start.Environment.Keys.Where(k => (k.StartsWith("ARKER_", StringComparison.Ordinal) && k != "ARKER_TESTING_LOCAL_IMAGES") || k.StartsWith("TESTINGPLATFORM_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new RunningApp(Process.Start(start)!, patience);
    }

    private RunningApp(Process process, TimeSpan patience)
    {
        Process = process;
        _patience = patience;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Waits for the app's test to write <paramref name="signalFile"/> (ARKER_APP_SIGNAL_FILE: its
    /// test host's process id, then its run id) and returns what it wrote.
    /// </summary>
    public async Task<SignalledHost> WaitForSignalAsync(string signalFile)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(signalFile))
        {
            if (Process.HasExited || clock.Elapsed > TimeSpan.FromMinutes(1))
            {
                Assert.Fail($"The test app never wrote {signalFile}. Its output:\n{Output}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        string[] lines = await File.ReadAllLinesAsync(signalFile, TestContext.Current.CancellationToken);
        return new SignalledHost(int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture), lines[1]);
    }

    public async Task<AppRun> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(_patience);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The test app did not finish within {_patience.TotalSeconds} s. Its output:\n{Output}");
        }

        return new AppRun(Process.ExitCode, Output);
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }

        Process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}

/// <summary>The test host of a running app, as its test wrote it to the signal file.</summary>
internal sealed record SignalledHost(int ProcessId, string RunId);

/// <summary>How a test app's run ended.</summary>
internal sealed record AppRun(int ExitCode, string Output)
{
    public override string ToString() => $"exit code {ExitCode}; output:\n{Output}";
}
