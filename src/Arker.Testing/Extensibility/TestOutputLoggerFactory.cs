using Microsoft.Extensions.Logging;

namespace Arker.Testing.Extensibility;

/// <summary>
/// The shared run's logs, routed to the test framework: into the running test's output when there
/// is one, otherwise as a diagnostic message. Debug-level lines (each request of the client) are
/// left out; every line starts with <c>[arker]</c>.
/// </summary>
internal sealed class TestOutputLoggerFactory : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => TestOutputLogger.Instance;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The test output log bridge has no providers.");

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger : ILogger
    {
        public static readonly TestOutputLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                ArkerTestFrameworks.Write("[arker] " + formatter(state, exception) + (exception is null ? "" : " — " + exception.Message));
            }
        }
    }
}
