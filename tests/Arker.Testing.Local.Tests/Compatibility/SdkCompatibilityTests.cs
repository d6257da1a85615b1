using System.Diagnostics;
using Arker.Testing.Local.Tests.Infrastructure;

namespace Arker.Testing.Local.Tests.Compatibility;

/// <summary>The official SDKs run unchanged against the local server, apart from their hosts.</summary>
public sealed class SdkCompatibilityTests(LocalServerFixture fixture)
{
    [Fact]
    public async Task TypeScriptSdk_RunsItsWholeReadmeFlow()
    {
        string? seeds = SeedDocuments.Folder();
        Assert.SkipWhen(seeds is null && Environment.GetEnvironmentVariable("CI") != "true",
            "The SDK seeds (../shared/seeds beside the checkout) are not here; CI always has them.");
        Assert.NotNull(seeds);
        string work = Directory.CreateTempSubdirectory("arker-ts-sdk-").FullName;
        string origin = fixture.Server.BaseUrl.GetLeftPart(UriPartial.Authority);
        string sdk = SeedDocuments.ExtractFile(seeds, "package/dist/index.cjs");
        Assert.Contains("var LIST_BASE_URL = \"https://arker.ai\";", sdk);
        File.WriteAllText(Path.Combine(work, "index.cjs"), sdk.Replace("\"https://arker.ai\"", $"\"{origin}\"", StringComparison.Ordinal));
        string demo = Path.Combine(AppContext.BaseDirectory, "Compatibility", "typescript-sdk-demo.cjs");

        var start = new ProcessStartInfo("node", [demo, Path.Combine(work, "index.cjs")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ARKER_API_KEY"] = LocalServerFixture.KeyA;
        start.Environment["ARKER_BASE_URL"] = origin;
        using Process node = Process.Start(start)!;
        Task<string> stderr = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        string output = await node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await node.WaitForExitAsync(TestContext.Current.CancellationToken);
        Directory.Delete(work, recursive: true);

        Assert.True(node.ExitCode == 0, output + await stderr);
        Assert.Contains("11/11 passed", output);
    }

    [Fact]
    public async Task PythonSdk_RunsItsWholeDemo()
    {
        string? seeds = SeedDocuments.Folder();
        Assert.SkipWhen(seeds is null && Environment.GetEnvironmentVariable("CI") != "true",
            "The SDK seeds (../shared/seeds beside the checkout) are not here; CI always has them.");
        Assert.NotNull(seeds);
        string sdk = Path.Combine(seeds, "arker-py-0.1.0");
        string origin = fixture.Server.BaseUrl.GetLeftPart(UriPartial.Authority);
        string demo = Path.Combine(AppContext.BaseDirectory, "Compatibility", "python-sdk-demo.py");

        // -B: the seeds folder is read-only on CI, and nothing should be written beside the SDK anyway.
        var start = new ProcessStartInfo("python3", ["-B", demo, sdk]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["ARKER_API_KEY"] = LocalServerFixture.KeyA;
        start.Environment["ARKER_BASE_URL"] = origin;
        using Process python = Process.Start(start)!;
        Task<string> stderr = python.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        string output = await python.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await python.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(python.ExitCode == 0, output + await stderr);
        Assert.Matches(@"(\d+)/\1 passed", output);
    }
}
