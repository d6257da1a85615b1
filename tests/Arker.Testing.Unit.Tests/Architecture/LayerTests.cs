using System.Reflection;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace Arker.Testing.Unit.Tests.Architecture;

/// <summary>
/// The layers, read from the built assemblies: a dependency that points the wrong way fails the
/// build's tests, naming the types that have it. The local server's rooms and what each may use
/// are <see cref="ServerRooms"/> (docs/architecture.md draws them): <c>Api</c>, the only part that
/// knows HTTP, on top; <c>Vms</c>, the registry of VMs and what may be done to them, below it;
/// <c>Sandbox</c> composing a VM from the rooms under it; <c>Native</c>, the kernel's calls and
/// numbers, at the bottom. In the core, the client is the foundation of everything else, the
/// fixtures use snapshots and never the other way round, and neither the core nor the platform
/// extension knows the server.
/// </summary>
public sealed class LayerTests
{
    private const string Server = "Arker.Testing.Local";

    private static readonly Assembly ServerAssembly = typeof(Arker.Testing.Local.LocalArkerServer).Assembly;
    private static readonly Assembly CoreAssembly = typeof(Arker.Testing.Client.ArkerClient).Assembly;
    private static readonly Assembly PlatformAssembly = typeof(Arker.Testing.Platform.TestApplicationBuilderExtensions).Assembly;

    /// <summary>Each room of the server below its API, with the rooms it may use; every other room is out of its reach.</summary>
    private static readonly Dictionary<string, string[]> ServerRooms = new()
    {
        ["Native"] = [],
        ["Network"] = ["Native"],
        ["Files"] = ["Native"],
        ["Cache"] = ["Storage"],
        ["Isolation"] = ["Native", "Network"],
        ["Limits"] = ["Native", "Isolation"],
        ["Storage"] = ["Native", "Isolation"],
        ["Sessions"] = ["Native", "Isolation"],
        ["Sandbox"] = ["Native", "Isolation", "Limits", "Storage", "Sessions", "Network"],
        ["Vms"] = ["Native", "Isolation", "Limits", "Storage", "Sessions", "Network", "Sandbox", "Files", "Cache"],
    };

    public static TheoryData<string> Rooms => [.. ServerRooms.Keys];

    [Theory]
    [MemberData(nameof(Rooms))]
    public void Each_room_uses_only_the_rooms_below_it(string room)
    {
        string[] outOfReach = [.. ServerRooms.Keys.Where(other => other != room && !ServerRooms[room].Contains(other)).Select(other => $"{Server}.{other}"), $"{Server}.Api"];

        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace($"{Server}.{room}").ShouldNot().HaveDependencyOnAny(outOfReach));
    }

    [Theory]
    [MemberData(nameof(Rooms))]
    public void Only_the_API_knows_HTTP(string room) =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace($"{Server}.{room}").ShouldNot().HaveDependencyOn("Microsoft.AspNetCore"));

    [Fact]
    public void The_API_reaches_the_machines_only_through_the_VM_registry() =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace($"{Server}.Api")
            .ShouldNot().HaveDependencyOnAny([.. ServerRooms.Keys.Where(room => room is not ("Vms" or "Files" or "Network" or "Cache")).Select(room => $"{Server}.{room}")]));

    [Fact]
    public void The_current_API_knows_nothing_of_the_0_1_API() =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace($"{Server}.Api.V1").ShouldNot().HaveDependencyOn($"{Server}.Api.V01"));

    [Fact]
    public void The_parts_both_generations_share_know_neither_but_the_pipeline_that_hands_each_failure_to_its_own() =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespaceMatching($"^{Regex.Escape(Server)}\\.Api$").And().DoNotHaveName("ApiPipeline")
            .ShouldNot().HaveDependencyOnAny($"{Server}.Api.V1", $"{Server}.Api.V01"));

    [Fact]
    public void Every_folder_of_the_server_is_a_room_with_its_rules()
    {
        string[] namespaces = [.. ServerAssembly.GetTypes().Select(type => type.Namespace).OfType<string>().Where(ns => ns.StartsWith(Server + ".", StringComparison.Ordinal)).Distinct()];
        string[] unruled = [.. namespaces.Where(ns => ns.Split('.')[3] is var room && room != "Api" && room != "Shared" && !ServerRooms.ContainsKey(room))];

        Assert.True(unruled.Length == 0, "These namespaces are in no room of the architecture test: " + string.Join(", ", unruled));
    }

    /// <summary>
    /// Each part of the core, with the parts it may use: the client at the bottom; beside it the
    /// framework registry (Extensibility: what the adapters tell the core of the current test, and the
    /// local backend seam); the fixtures, with the adapters' one entry point, on top.
    /// </summary>
    private static readonly Dictionary<string, string[]> CoreParts = new()
    {
        ["Client"] = [],
        ["Settings"] = [],
        ["Extensibility"] = ["Client"],
        ["Inputs"] = ["Client"],
        ["Assertions"] = ["Client", "Extensibility"],
        ["Seeding"] = ["Client", "Inputs", "Assertions"],
        ["Snapshots"] = ["Client", "Assertions", "Settings", "Extensibility"],
        ["Fixtures"] = ["Client", "Settings", "Extensibility", "Inputs", "Assertions", "Seeding", "Snapshots"],
    };

    public static TheoryData<string> Parts => [.. CoreParts.Keys];

    [Theory]
    [MemberData(nameof(Parts))]
    public void Each_part_of_the_core_uses_only_the_parts_below_it(string part)
    {
        string[] outOfReach = [.. CoreParts.Keys.Where(other => other != part && !CoreParts[part].Contains(other)).Select(other => $"Arker.Testing.{other}")];

        AssertNone(Types.InAssembly(CoreAssembly).That().ResideInNamespace($"Arker.Testing.{part}").ShouldNot().HaveDependencyOnAny(outOfReach));
    }

    [Fact]
    public void Every_namespace_of_the_core_is_a_part_with_its_rules()
    {
        string[] unruled = [.. CoreAssembly.GetTypes().Select(type => type.Namespace).OfType<string>().Distinct()
            .Where(ns => ns.StartsWith("Arker.Testing.", StringComparison.Ordinal) && ns != "Arker.Testing.Shared" && !CoreParts.ContainsKey(ns.Split('.')[2]))];

        Assert.True(unruled.Length == 0, "These namespaces are in no part of the architecture test: " + string.Join(", ", unruled));
    }

    [Fact]
    public void The_server_references_neither_the_core_nor_its_test_libraries()
    {
        string[] referenced = [.. ServerAssembly.GetReferencedAssemblies().Select(a => a.Name!)];

        Assert.DoesNotContain("Arker.Testing", referenced);
        Assert.DoesNotContain(referenced, name => name is "DiffEngine" or "EmptyFiles");
    }

    [Fact]
    public void The_arker_local_tool_ships_no_test_library()
    {
        string depsFile = typeof(LayerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ArkerLocalDependencies").Value!;
        using var deps = System.Text.Json.JsonDocument.Parse(File.ReadAllText(depsFile));
        string[] libraries = [.. deps.RootElement.GetProperty("libraries").EnumerateObject().Select(library => library.Name.Split('/')[0])];

        Assert.Contains("Arker.Testing.Local", libraries);
        Assert.DoesNotContain(libraries, name => name is "Arker.Testing" or "Arker.Testing.Platform" or "DiffEngine" or "EmptyFiles" || name.StartsWith("xunit", StringComparison.Ordinal) || name.StartsWith("NUnit", StringComparison.Ordinal));
    }

    [Fact]
    public void Neither_the_core_nor_the_platform_extension_references_the_server()
    {
        string[] referenced = [.. CoreAssembly.GetReferencedAssemblies().Concat(PlatformAssembly.GetReferencedAssemblies()).Select(a => a.Name!)];

        Assert.DoesNotContain(Server, referenced);
        Assert.DoesNotContain(referenced, name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    private static void AssertNone(ConditionList rule)
    {
        NetArchTest.Rules.TestResult result = rule.GetResult();
        Assert.True(result.IsSuccessful, "These types break the rule: " + string.Join(", ", result.FailingTypeNames ?? []));
    }
}
