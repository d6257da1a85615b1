using System.Reflection;
using NetArchTest.Rules;

namespace Arker.Testing.Architecture.Tests;

/// <summary>
/// The layers, read from the built assemblies: a dependency that points the wrong way fails the
/// build's tests, naming the types that have it. In the local server, <c>Api</c> (the only part
/// that knows HTTP) is on top, <c>Vms</c> (the registry of VMs and what may be done to them) below
/// it, the rooms below that (<c>Files</c>, <c>Network</c>, <c>Sandbox</c>, <c>Cache</c>; files
/// and the base cache standing on their own, the others using files) and <c>Native</c> (the
/// kernel's calls and numbers) at the bottom. In the core, the client is the
/// foundation of everything else, the fixtures use snapshots and never the other way round, and
/// neither the core nor the platform extension knows the server.
/// </summary>
public sealed class LayerTests
{
    private const string Server = "Arker.Testing.Local";

    private static readonly Assembly ServerAssembly = typeof(Arker.Testing.Local.LocalArkerServer).Assembly;
    private static readonly Assembly CoreAssembly = typeof(Arker.Testing.Client.ArkerClient).Assembly;
    private static readonly Assembly PlatformAssembly = typeof(Arker.Testing.Platform.TestApplicationBuilderExtensions).Assembly;

    /// <summary>Everything of the server below its API.</summary>
    public static TheoryData<string> BelowTheApi => [$"{Server}.Vms", $"{Server}.Files", $"{Server}.Network", $"{Server}.Sandbox", $"{Server}.Cache", $"{Server}.Native"];

    [Theory]
    [MemberData(nameof(BelowTheApi))]
    public void Only_the_API_knows_HTTP(string layer) =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace(layer).ShouldNot().HaveDependencyOn("Microsoft.AspNetCore"));

    [Fact]
    public void The_API_reaches_the_machines_only_through_the_VM_registry() =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace($"{Server}.Api.Current").ShouldNot().HaveDependencyOn($"{Server}.Sandbox"));

    [Theory]
    [MemberData(nameof(BelowTheApi))]
    public void Nothing_below_the_API_calls_up_into_it(string layer) =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace(layer).ShouldNot().HaveDependencyOn($"{Server}.Api"));

    [Theory]
    [InlineData($"{Server}.Files")]
    [InlineData($"{Server}.Network")]
    [InlineData($"{Server}.Sandbox")]
    [InlineData($"{Server}.Cache")]
    [InlineData($"{Server}.Native")]
    public void The_rooms_do_not_reach_up_to_the_VM_registry(string room) =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace(room).ShouldNot().HaveDependencyOn($"{Server}.Vms"));

    [Theory]
    [InlineData($"{Server}.Files", new[] { $"{Server}.Sandbox", $"{Server}.Network", $"{Server}.Cache" })]
    [InlineData($"{Server}.Cache", new[] { $"{Server}.Sandbox", $"{Server}.Network" })]
    public void Files_and_the_base_cache_stand_on_their_own(string room, string[] others) =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace(room).ShouldNot().HaveDependencyOnAny(others));

    [Fact]
    public void VM_networks_need_nothing_of_the_sandbox() =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace($"{Server}.Network").ShouldNot().HaveDependencyOn($"{Server}.Sandbox"));

    [Fact]
    public void The_kernel_calls_depend_on_no_room() =>
        AssertNone(Types.InAssembly(ServerAssembly).That().ResideInNamespace($"{Server}.Native")
            .ShouldNot().HaveDependencyOnAny($"{Server}.Sandbox", $"{Server}.Network", $"{Server}.Files", $"{Server}.Cache"));

    [Fact]
    public void The_server_uses_none_of_the_cores_test_helpers() =>
        AssertNone(Types.InAssembly(ServerAssembly).ShouldNot()
            .HaveDependencyOnAny("Arker.Testing.Fixtures", "Arker.Testing.Snapshots", "Arker.Testing.Assertions", "Arker.Testing.Seeding", "Arker.Testing.Inputs"));

    [Fact]
    public void The_client_depends_on_nothing_built_on_it() =>
        AssertNone(Types.InAssembly(CoreAssembly).That().ResideInNamespace("Arker.Testing.Client")
            .ShouldNot().HaveDependencyOnAny("Arker.Testing.Fixtures", "Arker.Testing.Snapshots", "Arker.Testing.Assertions", "Arker.Testing.Seeding", "Arker.Testing.Inputs"));

    [Fact]
    public void Snapshots_know_no_fixture() =>
        AssertNone(Types.InAssembly(CoreAssembly).That().ResideInNamespace("Arker.Testing.Snapshots").ShouldNot().HaveDependencyOn("Arker.Testing.Fixtures"));

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
