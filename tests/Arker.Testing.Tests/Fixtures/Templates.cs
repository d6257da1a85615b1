using Arker.Testing.Assertions;
using Arker.Testing.Fixtures;
using Arker.Testing.Seeding;

namespace Arker.Testing.Tests.Fixtures;

/// <summary>A template that writes a marker and counts how often it was provisioned.</summary>
public sealed class MarkerTemplate : VmTemplate
{
    private static int _provisioned;

    public static int Provisioned => Volatile.Read(ref _provisioned);

    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _provisioned);
        await vm.Sync.WriteFileAsync("/home/user/provisioned.txt", "by MarkerTemplate\n", cancellationToken);
        (await vm.RunAsync("mkdir -p ~/app && echo ready > ~/app/state", cancellationToken)).ShouldSucceed();
    }
}

/// <summary>A template for reuse across runs; its own counter, so other tests do not disturb it.</summary>
public sealed class ReusableTemplate : VmTemplate
{
    private static int _provisioned;

    public static int Provisioned => Volatile.Read(ref _provisioned);

    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _provisioned);
        await vm.Sync.WriteFileAsync("/home/user/reused.txt", "made once\n", cancellationToken);
    }
}

/// <summary>A template whose install step fails.</summary>
public sealed class BrokenTemplate : VmTemplate
{
    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) =>
        (await vm.RunAsync("echo installing; echo 'E: package not found' >&2; exit 100", cancellationToken)).ShouldSucceed();
}

/// <summary>A template whose provisioning takes a second, long enough to cancel a caller while it runs.</summary>
public sealed class SlowTemplate : VmTemplate
{
    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) =>
        (await vm.RunAsync("sleep 1 && echo slow and steady > ~/slow.txt", cancellationToken)).ShouldSucceed();
}

/// <summary>A template for the local base cache; its version can change, as a recipe's does.</summary>
public sealed class CachedToolTemplate : VmTemplate
{
    private static int _provisioned;

    public static int Provisioned => Volatile.Read(ref _provisioned);

    public static string Version { get; set; } = "1";

    public override string RecipeVersion => Version;

    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _provisioned);
        (await vm.RunAsync($"mkdir -p ~/.local/bin && printf '#!/bin/sh\\necho tool {Version}\\n' > ~/.local/bin/tool && chmod +x ~/.local/bin/tool", cancellationToken)).ShouldSucceed();
    }
}

/// <summary>A template two runs provision at the same time; its own counter.</summary>
public sealed class SharedToolTemplate : VmTemplate
{
    private static int _provisioned;

    public static int Provisioned => Volatile.Read(ref _provisioned);

    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _provisioned);
        (await vm.RunAsync("sleep 1 && mkdir -p ~/.local/bin && printf '#!/bin/sh\\necho shared\\n' > ~/.local/bin/tool && chmod +x ~/.local/bin/tool", cancellationToken)).ShouldSucceed();
    }
}

/// <summary>
/// The quick start's pattern: a tool seeded from a folder of this machine, installed, and a
/// setting read from an environment variable it declares. Counted per folder, so tests that run
/// at the same time with folders of their own do not disturb each other.
/// </summary>
/// <param name="folder">The folder seeded.</param>
/// <param name="variable">The environment variable read (a test that changes it has one of its own).</param>
public sealed class SeededToolTemplate(string folder, string variable = "ARKER_TEST_SEEDED_TOOL_GREETING") : VmTemplate
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Provisionings = new(StringComparer.Ordinal);

    public override IEnumerable<Arker.Testing.Inputs.HostInput> HostInputs => [Arker.Testing.Inputs.HostInput.EnvironmentVariable(variable)];

    /// <summary>How often a base was provisioned from <paramref name="folder"/>.</summary>
    public static int ProvisionedFrom(string folder) => Provisionings.GetValueOrDefault(folder);

    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        Provisionings.AddOrUpdate(folder, 1, (_, count) => count + 1);
        await vm.SeedAsync(SeedFiles.FromDirectory(folder), "/home/user/dist", cancellationToken);
        string greeting = Environment.GetEnvironmentVariable(variable) ?? "hello";
        (await vm.RunAsync($"mkdir -p ~/.local/bin && cp dist/tool ~/.local/bin/tool && chmod +x ~/.local/bin/tool && echo {greeting} > ~/greeting", cancellationToken)).ShouldSucceed();
    }
}

/// <summary>Installs the tool by uploading one file of this machine: the upload is what the base is made from.</summary>
public sealed class UploadedToolTemplate(string file) : VmTemplate
{
    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        (await vm.RunAsync("mkdir -p ~/.local/bin", cancellationToken)).ShouldSucceed();
        await vm.Sync.UploadFileAsync(file, "/home/user/.local/bin/tool", cancellationToken);
        (await vm.RunAsync("chmod +x ~/.local/bin/tool", cancellationToken)).ShouldSucceed();
    }
}

/// <summary>Seeds a tool, then its file is edited on this machine before provisioning ends (as a developer might mid-run).</summary>
public sealed class EditedWhileProvisioningTemplate(string folder, string editedTo) : VmTemplate
{
    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        await vm.SeedAsync(SeedFiles.FromDirectory(folder), "/home/user/.local/bin", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "tool"), editedTo, cancellationToken);
        (await vm.RunAsync("chmod +x ~/.local/bin/tool", cancellationToken)).ShouldSucceed();
    }
}

/// <summary>A template whose base is a name no server knows.</summary>
public sealed class UnknownBaseTemplate : VmTemplate
{
    public override string BaseImage => "no-such-base";

    public override Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A template over a container image (an OCI layout the test made), which marks its base.</summary>
public sealed class ImageTemplate : VmTemplate
{
    public static string Layout { get; set; } = "";

    public override string BaseImage => $"oci:{Layout}:v1";

    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) =>
        (await vm.RunAsync("echo provisioned > ~/marker", cancellationToken)).ShouldSucceed();
}
