using Microsoft.Extensions.Logging;

namespace Arker.Testing.Xunit;

/// <summary>
/// Routes the library's logs to xunit: into the running test's output when there is one,
/// otherwise (provisioning in a fixture, the end of the run) as a diagnostic message.
/// Debug-level lines (each request of the client) are left out.
/// </summary>
internal sealed class XunitLoggerFactory : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new XunitLogger();

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The xunit log bridge has no providers.");

    public void Dispose()
    {
    }

    private sealed class XunitLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string line = "[arker] " + formatter(state, exception) + (exception is null ? "" : " — " + exception.Message);
            if (TestContext.Current.TestOutputHelper is { } output && TestContext.Current.Test is not null)
            {
                output.WriteLine(line);
            }
            else
            {
                TestContext.Current.SendDiagnosticMessage(line);
            }
        }
    }
}
