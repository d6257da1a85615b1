namespace Arker.Testing.Platform.Tests.Packaging;

/// <summary>
/// A user's test project, outside the repository, that references only xunit.v3 or NUnit and the
/// Arker.Testing adapter package: the extension registers itself, and its test gets a VM.
/// </summary>
public sealed class PackageTests(PackedFeed feed) : IClassFixture<PackedFeed>, IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("arker-consumer-").FullName;

    [Theory]
    [InlineData("xunit")]
    [InlineData("nunit")]
    public async Task A_test_project_with_only_the_adapter_package_gets_the_extension_and_a_VM(string framework)
    {
        WriteProject(framework);

        AppRun build = await Dotnet.RunAsync(["build", "-c", "Release"], _project);
        Assert.True(build.ExitCode == 0, build.ToString());
        string app = Path.Combine(_project, "bin", "Release", "net10.0", "Consumer");
        AppRun help = await RunningAppOf(app, ["--help"]);
        AppRun run = await RunningAppOf(app, []);

        Assert.Contains("--arker-keep-failed", help.Output, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"Arker run arker-run-\S+: \d+ VMs created, 1 test fork .*, 0 VMs left behind\.", run.Output);
    }

    [Fact]
    public async Task The_arker_local_tool_package_installs_and_runs()
    {
        string tools = Path.Combine(_project, "tools");

        AppRun install = await Dotnet.RunAsync(["tool", "install", "arker-local", "--tool-path", tools, "--add-source", feed.Folder, "--version", feed.Version], _project);
        Assert.True(install.ExitCode == 0, install.ToString());
        AppRun help = await RunningAppOf(Path.Combine(tools, "arker-local"), ["--help"]);

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("Usage:\n  arker-local [options]", help.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("--fault-rate", help.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private static async Task<AppRun> RunningAppOf(string path, string[] arguments)
    {
        using RunningApp app = RunningApp.Start(path, arguments, environment: null, TimeSpan.FromMinutes(2));
        return await app.WaitForExitAsync();
    }

    private void WriteProject(string framework)
    {
        File.WriteAllText(Path.Combine(_project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="arker-under-test" value="{feed.Folder}" />
              </packageSources>
            </configuration>
            """);
        string references = framework == "xunit"
            ? $"""
                <PackageReference Include="xunit.v3" Version="3.2.2" />
                <PackageReference Include="Arker.Testing.Xunit" Version="{feed.Version}" />
              """
            : $"""
                <PackageReference Include="NUnit" Version="4.4.0" />
                <PackageReference Include="NUnit3TestAdapter" Version="5.2.0" />
                <PackageReference Include="Microsoft.Testing.Extensions.VSTestBridge" Version="1.9.1" />
                <PackageReference Include="Arker.Testing.NUnit" Version="{feed.Version}" />
              """;
        File.WriteAllText(Path.Combine(_project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <UseMicrosoftTestingPlatformRunner>true</UseMicrosoftTestingPlatformRunner>
                <EnableNUnitRunner>true</EnableNUnitRunner>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_project, "Tests.cs"), framework == "xunit"
            ? """
                using Arker.Testing.Fixtures;
                using Arker.Testing.Xunit;
                using Xunit;

                [ArkerVm]
                public sealed class EchoTests : ArkerTest
                {
                    [Fact]
                    public async Task Echo() => Assert.Equal("hi\n", (await Vm.RunAsync("echo hi", CancellationToken)).StdoutText);
                }
                """
            : """
                using Arker.Testing.Fixtures;
                using Arker.Testing.NUnit;
                using NUnit.Framework;

                [ArkerVm]
                public sealed class EchoTests : ArkerTest
                {
                    [Test]
                    public async Task Echo() => Assert.That((await Vm.RunAsync("echo hi", CancellationToken)).StdoutText, Is.EqualTo("hi\n"));
                }
                """);
    }
}
