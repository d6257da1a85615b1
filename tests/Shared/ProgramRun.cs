using System.Diagnostics;

namespace Arker.Testing.TestSupport;

/// <summary>A program of this machine run to its end by a test: its exit code and its output (stdout, then stderr).</summary>
public static class ProgramRun
{
    /// <summary>Runs <paramref name="start"/> (its streams redirected here), writing <paramref name="input"/> to its stdin when given.</summary>
    public static async Task<(int ExitCode, string Output)> ToEndAsync(ProcessStartInfo start, string? input = null)
    {
        CancellationToken cancellation = TestContext.Current.CancellationToken;
        start.RedirectStandardInput = input is not null;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using Process process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        Task<string> errors = process.StandardError.ReadToEndAsync(cancellation);
        string output = await process.StandardOutput.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        return (process.ExitCode, output + await errors);
    }

    /// <inheritdoc cref="ToEndAsync(ProcessStartInfo, string?)"/>
    public static Task<(int ExitCode, string Output)> ToEndAsync(string program, IEnumerable<string> arguments, string? input = null) =>
        ToEndAsync(new ProcessStartInfo(program, arguments), input);
}
