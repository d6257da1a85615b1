using Arker.Testing.Assertions;
using Arker.Testing.Client;
using Arker.Testing.Fixtures;
using Arker.Testing.Seeding;

namespace Arker.Testing.Samples;

/// <summary>
/// A machine with Python (installed with <c>sudo apt-get</c> where the image lacks it, as the
/// official Ubuntu image does) and the small web programs of webapp/ in ~/apps (a notes service, a
/// weather CLI), none started.
/// </summary>
public sealed class WebAppsMachine : VmTemplate
{
    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        await PackageSource.UseAsync(vm, cancellationToken);
        (await vm.RunAsync(
            "command -v python3 >/dev/null || { sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null; }",
            new RunOptions { Timeout = TimeSpan.FromMinutes(10) }, cancellationToken)).ShouldSucceed();
        await vm.SeedAsync(SeedFiles.FromDirectory(Path.Combine(AppContext.BaseDirectory, "webapp")), "/home/user/apps", cancellationToken);
    }
}
