using System.Diagnostics;
using Arker.Testing.Local.Tests.Infrastructure;
using Arker.Testing.TestSupport;

namespace Arker.Testing.Local.Tests.Compatibility;

/// <summary>The official SDKs run unchanged against the local server, apart from their hosts.</summary>
public sealed class SdkCompatibilityTests(LocalServerFixture fixture)
{
    [Fact]
    public async Task TypeScriptSdk_RunsItsWholeReadmeFlow()
    {
        string seeds = RequireSeeds();
        string work = Directory.CreateTempSubdirectory("arker-ts-sdk-").FullName;
        string origin = fixture.Server.V01BaseUrl.ToString(); // the 0.1 base: regional and list host alike
        string sdk = SeedDocuments.ExtractFile(seeds, "package/dist/index.cjs");
        Assert.Contains("var LIST_BASE_URL = \"https://arker.ai\";", sdk);
        File.WriteAllText(Path.Combine(work, "index.cjs"), sdk.Replace("\"https://arker.ai\"", $"\"{origin}\"", StringComparison.Ordinal));
        string demo = Path.Combine(AppContext.BaseDirectory, "Compatibility", "typescript-sdk-demo.cjs");

        (int exitCode, string output) = await RunAgainstServerAsync("node", [demo, Path.Combine(work, "index.cjs")], origin);
        Directory.Delete(work, recursive: true);

        Assert.True(exitCode == 0, output);
        Assert.Contains("11/11 passed", output);
    }

    [Fact]
    public async Task PythonSdk_RunsItsWholeDemo()
    {
        string seeds = RequireSeeds();
        string sdk = Path.Combine(seeds, "arker-py-0.1.0");
        string origin = fixture.Server.V01BaseUrl.ToString(); // the 0.1 base: regional and list host alike
        string demo = Path.Combine(AppContext.BaseDirectory, "Compatibility", "python-sdk-demo.py");

        // -B: the seeds folder is read-only on CI, and nothing should be written beside the SDK anyway.
        (int exitCode, string output) = await RunAgainstServerAsync("python3", ["-B", demo, sdk], origin);

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"(\d+)/\1 passed", output);
    }

    /// <summary>The seeds folder; without it the test is skipped locally and fails on CI.</summary>
    private static string RequireSeeds()
    {
        string? seeds = SeedDocuments.Folder();
        Assert.SkipWhen(seeds is null && Environment.GetEnvironmentVariable("CI") != "true",
            "The SDK seeds (../shared/seeds beside the checkout) are not here; CI always has them.");
        Assert.NotNull(seeds);
        return seeds;
    }

    /// <summary>Runs an SDK's program with the server as its Arker (ARKER_API_KEY, ARKER_BASE_URL); returns its exit code and output (stdout, then stderr).</summary>
    private static Task<(int ExitCode, string Output)> RunAgainstServerAsync(string program, string[] arguments, string origin)
    {
        var start = new ProcessStartInfo(program, arguments);
        start.Environment["ARKER_API_KEY"] = LocalServerFixture.KeyA;
        start.Environment["ARKER_BASE_URL"] = origin;
        return ProgramRun.ToEndAsync(start);
    }
}
