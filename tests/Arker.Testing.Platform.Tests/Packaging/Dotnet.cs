namespace Arker.Testing.Platform.Tests.Packaging;

/// <summary>The dotnet command, run as a child process with this run's own Arker and test-platform variables removed.</summary>
internal static class Dotnet
{
    public static async Task<AppRun> RunAsync(IEnumerable<string> arguments, string workingDirectory)
    {
        using RunningApp run = RunningApp.Start("dotnet", arguments, environment: null, TimeSpan.FromMinutes(4), workingDirectory);
        return await run.WaitForExitAsync();
    }
}
