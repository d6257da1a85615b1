using Arker.Testing.Extensibility;

namespace Arker.Testing.Fixtures;

/// <summary>
/// The one environment of this test process: made on first use with the settings it was
/// configured with (else the environment variables), logging to the running test's output, and
/// completed by the test platform at the end of the session or when the process exits.
/// </summary>
internal static class SharedEnvironment
{
    private static readonly Lock Gate = new();
    private static Task<ArkerTestEnvironment>? _shared;
    private static ArkerTestingSettings? _settings;
    private static bool _completesAtExit;
    private static string? _cancelled;

    public static Task<ArkerTestEnvironment> GetAsync()
    {
        lock (Gate)
        {
            if (_cancelled is { } why)
            {
                return Task.FromException<ArkerTestEnvironment>(new OperationCanceledException(why));
            }

            if (_shared is null)
            {
                _shared = ArkerTestEnvironment.CreateAsync(_settings ?? ArkerTestingSettings.FromEnvironment(), new TestOutputLoggerFactory());
                if (!_completesAtExit)
                {
                    _completesAtExit = true;
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => CompleteAsync().Wait(TimeSpan.FromSeconds(60));
                }
            }

            return _shared;
        }
    }

    public static void Configure(ArkerTestingSettings settings)
    {
        lock (Gate)
        {
            if (_shared is not null)
            {
                throw new InvalidOperationException("The shared Arker test environment has already started; configure it before the first test asks for a VM.");
            }

            _settings = settings;
            _cancelled = null; // a new session of the test platform: a new run, which may get VMs again
        }
    }

    /// <summary>Completes the environment now and refuses every later test (<paramref name="why"/> says why).</summary>
    public static Task<ArkerRunSummary?> CancelAsync(string why)
    {
        lock (Gate)
        {
            _cancelled ??= why;
        }

        return CompleteAsync();
    }

    public static async Task<ArkerRunSummary?> CompleteAsync()
    {
        Task<ArkerTestEnvironment>? shared;
        lock (Gate)
        {
            shared = _shared;
            _shared = null;
        }

        if (shared is null)
        {
            return null;
        }

        ArkerTestEnvironment environment;
        try
        {
            environment = await shared;
        }
        catch (Exception)
        {
            return null; // it never started, and the tests that asked for it saw why
        }

        return await environment.CompleteAsync();
    }
}
