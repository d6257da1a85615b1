using Arker.Testing.Fixtures;

namespace Arker.Testing.Platform;

/// <summary>
/// The run summary on a GitHub Actions job's summary page: appended as Markdown to the file
/// <c>GITHUB_STEP_SUMMARY</c> names, when it is set (each test application of a job adds its own run).
/// </summary>
internal static class GitHubStepSummary
{
    internal const string Variable = "GITHUB_STEP_SUMMARY";

    /// <summary>Appends <paramref name="summary"/>; returns why it could not, or null.</summary>
    public static async Task<string?> AppendAsync(ArkerRunSummary summary, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } file)
        {
            return null;
        }

        try
        {
            await File.AppendAllTextAsync(file, summary.ToMarkdown() + "\n", cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"Could not add the Arker run summary to {Variable} ({file}): {ex.Message}";
        }
    }
}
