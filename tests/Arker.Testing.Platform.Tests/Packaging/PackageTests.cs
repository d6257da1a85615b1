using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Arker.Testing.Platform.Tests.Packaging;

/// <summary>
/// A user's test project, outside the repository, that references only its test framework and the
/// Arker.Testing adapter package: the extension registers itself, and its test gets a VM.
/// </summary>
public sealed class PackageTests(PackedFeed feed) : IClassFixture<PackedFeed>, IDisposable
{
    // A test application of any of the four frameworks, on Microsoft.Testing.Platform when started directly too.
    private const string TestApplicationProperties =
        "<UseMicrosoftTestingPlatformRunner>true</UseMicrosoftTestingPlatformRunner><EnableNUnitRunner>true</EnableNUnitRunner><EnableMSTestRunner>true</EnableMSTestRunner>";

    private readonly string _project = Directory.CreateTempSubdirectory("arker-consumer-").FullName;

    // Every supported combination (README, "Supported versions"): the newest, and the lowest where it differs.
    [Theory]
    [InlineData("xunit", "xunit.v3/4.0.3")]
    [InlineData("xunit", "xunit.v3/4.0.0")]
    [InlineData("nunit", "NUnit/5.0.0 NUnit3TestAdapter/6.3.1")]
    [InlineData("nunit", "NUnit/4.4.0 NUnit3TestAdapter/6.3.1")]
    [InlineData("mstest", "MSTest/4.5.3")]
    [InlineData("mstest", "MSTest/4.4.0")]
    [InlineData("tunit", "TUnit/1.86.0")]
    public async Task A_test_project_with_only_the_adapter_package_gets_the_extension_and_a_VM(string framework, string packages)
    {
        WriteProject(framework, packages);

        AppRun build = await Dotnet.RunAsync(["build", "-c", "Release"], _project);
        Assert.True(build.ExitCode == 0, build.ToString());
        string app = Path.Combine(_project, "bin", "Release", "net10.0", "Consumer");
        AppRun help = await RunningAppOf(app, ["--help"]);
        AppRun run = await RunningAppOf(app, []);

        Assert.Contains("--arker-keep-failed", help.Output, StringComparison.Ordinal);
        Assert.Contains("\"System.Runtime.TieredPGO\": false", File.ReadAllText(app + ".runtimeconfig.json"), StringComparison.Ordinal); // a short run compiles less
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"Arker run arker-run-\S+: \d+ VMs created, 1 test fork .*, 0 VMs left behind\.", run.Output);
    }

    // Each framework's install sample (nine tests, eleven cases, two of them snapshots), copied out of
    // the repository and built from the packed packages with the framework version people install today.
    [Theory]
    [InlineData("xunit", "Xunit", "xunit.v3/4.0.3", "Xunit")]
    [InlineData("nunit", "NUnit", "NUnit/5.0.0 NUnit3TestAdapter/6.3.1", "NUnit.Framework")]
    [InlineData("mstest", "MSTest", "MSTest/4.5.3", "Microsoft.VisualStudio.TestTools.UnitTesting")]
    [InlineData("tunit", "TUnit", "TUnit/1.86.0", "")]
    public async Task Each_frameworks_install_sample_passes_from_the_packed_packages(string framework, string sample, string packages, string frameworkNamespace)
    {
        string samples = Path.Combine(BuildMetadata.Get("RepositoryRoot"), "samples");
        string from = Path.Combine(samples, "Arker.Testing.Samples." + sample);
        string[] usings = [frameworkNamespace, "Arker.Testing.Assertions", "Arker.Testing.Client", "Arker.Testing.Fixtures", "Arker.Testing." + sample];
        WriteConsumerProject(
            TestApplicationProperties,
            References(framework, packages) + "<None Include=\"testdata/**\" CopyToOutputDirectory=\"PreserveNewest\" />"
                + string.Concat(usings.Where(u => u.Length > 0).Select(u => $"<Using Include=\"{u}\" />")));
        foreach (string file in Directory.GetFiles(from).Where(f => Path.GetFileName(f) is "InstallTests.cs" or "NotesMachine.cs" or "AssemblyInfo.cs" || Path.GetFileName(f).StartsWith("InstallTests.", StringComparison.Ordinal) && f.EndsWith(".verified.txt", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(_project, Path.GetFileName(file)));
        }

        CopyPreservingModes(Path.Combine(samples, "Arker.Testing.Samples.Xunit", "testdata"), Path.Combine(_project, "testdata")); // the one copy of the tool the samples test

        AppRun build = await Dotnet.RunAsync(["build", "-c", "Release"], _project);
        Assert.True(build.ExitCode == 0, build.ToString());
        AppRun run = await RunningAppOf(Path.Combine(_project, "bin", "Release", "net10.0", "Consumer"), ["--no-ansi"]); // CI=true turns colours on

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(Regex.IsMatch(run.Output, @"total: 11\s+failed: 0\s+succeeded: 11\s+skipped: 0"), run.ToString());
        Assert.Empty(Directory.GetFiles(_project, "*.received.*"));
    }

    // The README's other C# snippets, as printed, in the context they are written for (an xunit ArkerTest class).
    [Fact]
    public async Task The_READMEs_other_snippets_compile_against_the_packed_packages()
    {
        WriteProject("xunit", "xunit.v3/4.0.3", "<FrameworkReference Include=\"Microsoft.AspNetCore.App\" />");
        File.WriteAllText(Path.Combine(_project, "ReadmeSnippets.cs"), Readme.CompiledSnippetsAsOneTestClass());
        File.Copy(Path.Combine(BuildMetadata.Get("RepositoryRoot"), "samples", "Shared", "FakeWeatherApi.cs"), Path.Combine(_project, "FakeWeatherApi.cs")); // the fake API the README's snippet names

        AppRun build = await Dotnet.RunAsync(["build", "-c", "Release"], _project);

        Assert.True(build.ExitCode == 0, $"{build}\n{File.ReadAllText(Path.Combine(_project, "ReadmeSnippets.cs"))}");
    }

    // The previous generation (Microsoft.Testing.Platform 1): NuGet only warns (NU1608), so the package's
    // build check stops the build with what to update, instead of a TypeLoadException when the tests start.
    [Theory]
    [InlineData("xunit", "xunit.v3/3.2.2", "ARKERT001", "Update xunit.v3 to 4.x")]
    [InlineData("nunit", "NUnit/4.4.0 NUnit3TestAdapter/5.2.0 Microsoft.Testing.Extensions.VSTestBridge/1.9.1", "ARKERT002", "Update NUnit3TestAdapter to 6.x")]
    [InlineData("mstest", "MSTest/3.11.1", "ARKERT002", "Update MSTest to 4.x")]
    [InlineData("tunit", "TUnit/1.79.0", "ARKERT003", "Update TUnit to 1.86 or later")]
    public async Task A_test_project_on_an_unsupported_framework_version_fails_to_build_saying_what_to_update(string framework, string packages, string code, string message)
    {
        WriteProject(framework, packages);

        AppRun build = await Dotnet.RunAsync(["build", "-c", "Release"], _project);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"error {code}", build.Output, StringComparison.Ordinal);
        Assert.Contains(message, build.Output, StringComparison.Ordinal);
    }

    // A cloud user's project (on any OS) gets the client and fixtures, not the local server and ASP.NET Core.
    [Fact]
    public async Task A_project_with_only_the_core_package_gets_no_server_and_says_where_the_local_server_comes_from()
    {
        WriteCoreConsoleApp(publishAot: false, """
            await using var environment = await Arker.Testing.Fixtures.ArkerTestEnvironment.CreateAsync(new Arker.Testing.Fixtures.ArkerTestingSettings());
            Console.WriteLine(environment.UnavailableReason);
            """);

        AppRun build = await Dotnet.RunAsync(["build", "-c", "Release"], _project);
        Assert.True(build.ExitCode == 0, build.ToString());
        string assets = File.ReadAllText(Path.Combine(_project, "obj", "project.assets.json"));
        string runtimeConfig = File.ReadAllText(Path.Combine(_project, "bin", "Release", "net10.0", "Consumer.runtimeconfig.json"));
        AppRun run = await RunningAppOf(Path.Combine(_project, "bin", "Release", "net10.0", "Consumer"), []);

        Assert.DoesNotContain("Arker.Testing.Local", assets, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("AspNetCore", assets, StringComparison.Ordinal);
        Assert.DoesNotContain("System.CommandLine", assets, StringComparison.Ordinal);
        Assert.DoesNotContain("AspNetCore", runtimeConfig, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("This test application has no local Arker backend", run.Output, StringComparison.Ordinal);
    }

    // The client is trimming- and AOT-compatible: a user's console app built on it publishes with
    // NativeAOT without a warning, and the native program works against a real server.
    [Fact]
    public async Task A_NativeAOT_app_using_the_client_publishes_without_warnings_and_runs()
    {
        WriteCoreConsoleApp(publishAot: true, """
            using Arker.Testing.Client;

            using var arker = new ArkerClient(); // ARKER_API_KEY, ARKER_BASE_URL
            Computer vm = await arker.Vm("arkuntu").ForkAsync(new ForkOptions { Name = "native-app" });
            await vm.Sync.WriteFileAsync("/home/user/greeting.txt", "hello from native code\n");
            RunResult run = await vm.RunAsync("cat greeting.txt; exit 3");
            VmList page = await arker.ListAsync(new ListOptions { Query = "native-app" });
            Console.WriteLine($"{run.StdoutText.Trim()}|{run.ExitCode}|{page.Items.Count}");
            await vm.DeleteAsync();
            try
            {
                await vm.RunAsync("true");
            }
            catch (ArkerException ex)
            {
                Console.WriteLine($"after delete: {ex.Code}");
            }
            """);
        await using ArkerCloudStandIn arker = await ArkerCloudStandIn.StartAsync();

        AppRun publish = await Dotnet.RunAsync(["publish", "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "-o", "native"], _project);
        Assert.True(publish.ExitCode == 0, publish.ToString());
        using RunningApp native = RunningApp.Start(Path.Combine(_project, "native", "Consumer"), [], arker.Variables, TimeSpan.FromMinutes(1));
        AppRun run = await native.WaitForExitAsync();

        Assert.DoesNotContain("warning IL", publish.Output, StringComparison.Ordinal); // trimming (IL2xxx) and AOT (IL3xxx) analysis
        Assert.False(File.Exists(Path.Combine(_project, "native", "Consumer.dll")), "the program should be native, not IL");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("hello from native code|3|1", run.Output, StringComparison.Ordinal);
        Assert.Contains("after delete: not_found", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_arker_local_tool_package_installs_and_runs()
    {
        string tools = Path.Combine(_project, "tools");

        AppRun install = await Dotnet.RunAsync(["tool", "install", "arker-local", "--tool-path", tools, "--add-source", feed.Folder, "--version", feed.Version], _project);
        Assert.True(install.ExitCode == 0, install.ToString());
        AppRun help = await RunningAppOf(Path.Combine(tools, "arker-local"), ["--help"]);

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("Usage:\n  arker-local [command] [options]", help.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("--fault-rate", help.Output, StringComparison.Ordinal);
        Assert.Matches(@"cache\s+The base cache", help.Output);
        Assert.Matches(@"snapshots\s+The snapshots test runs left for review", help.Output);
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private static async Task<AppRun> RunningAppOf(string path, string[] arguments)
    {
        using RunningApp app = RunningApp.Start(path, arguments, environment: null, TimeSpan.FromMinutes(2));
        return await app.WaitForExitAsync();
    }

    /// <summary>Writes the user's project: <paramref name="packages"/> ("id/version ...") and the adapter package of <paramref name="framework"/>.</summary>
    private void WriteProject(string framework, string packages, string moreItems = "")
    {
        WriteConsumerProject(
            TestApplicationProperties,
            References(framework, packages) + "<None Include=\"testdata/**\" CopyToOutputDirectory=\"PreserveNewest\" />" + moreItems);
        // The test is the README's quick start of that framework, with the test data the README
        // prints, so the README shows a quick start that compiles and passes as printed.
        File.WriteAllText(Path.Combine(_project, "Tests.cs"), Readme.Snippet(framework + "-quickstart"));
        Readme.WriteQuickStartTestData(_project);
    }

    /// <summary>PackageReference items for <paramref name="packages"/> ("id/version ...") and the adapter package of <paramref name="framework"/>.</summary>
    private string References(string framework, string packages)
    {
        string adapter = framework switch
        {
            "xunit" => "Arker.Testing.Xunit",
            "nunit" => "Arker.Testing.NUnit",
            "mstest" => "Arker.Testing.MSTest",
            _ => "Arker.Testing.TUnit",
        };
        return string.Concat(packages.Split(' ')
            .Select(package => package.Split('/'))
            .Append([adapter, feed.Version])
            .Select(package => $"<PackageReference Include=\"{package[0]}\" Version=\"{package[1]}\" />"));
    }

    private static void CopyPreservingModes(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            string copy = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(file));
        }

        foreach (string folder in Directory.GetDirectories(from))
        {
            CopyPreservingModes(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }

    /// <summary>A console app that references only the core package, with <paramref name="program"/> as its Program.cs.</summary>
    private void WriteCoreConsoleApp(bool publishAot, string program)
    {
        WriteConsumerProject($"<PublishAot>{(publishAot ? "true" : "false")}</PublishAot>", $"<PackageReference Include=\"Arker.Testing\" Version=\"{feed.Version}\" />");
        File.WriteAllText(Path.Combine(_project, "Program.cs"), program);
    }

    /// <summary>The user's project file (a net10.0 program with <paramref name="properties"/> and <paramref name="items"/>) and a NuGet source of the packed packages.</summary>
    private void WriteConsumerProject(string properties, string items)
    {
        WriteNugetConfig();
        File.WriteAllText(Path.Combine(_project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                {items}
              </ItemGroup>
            </Project>
            """);
    }

    private void WriteNugetConfig() => File.WriteAllText(Path.Combine(_project, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="arker-under-test" value="{feed.Folder}" />
          </packageSources>
        </configuration>
        """);
}
