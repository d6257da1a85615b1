using Arker.Testing.Fixtures;

namespace Arker.Testing.MSTest.Tests;

/// <summary>Installs a tiny command, <c>greet</c>, into ~/.local/bin.</summary>
public sealed class GreetTemplate : VmTemplate
{
    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        await vm.Sync.WriteFileAsync("/home/user/.local/bin/greet", "#!/bin/sh\necho \"hello, ${1:-world}\"\n", cancellationToken);
        (await vm.RunAsync("chmod +x ~/.local/bin/greet", cancellationToken)).ShouldSucceed();
    }
}
