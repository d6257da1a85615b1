using Arker.Testing.Client;
using Arker.Testing.Fixtures;
using Arker.Testing.Seeding;

namespace Arker.Testing.Samples;

/// <summary>A machine with the small web programs of webapp/ in ~/apps (a notes service, a weather CLI), none started.</summary>
public sealed class WebAppsMachine : VmTemplate
{
    public override Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) =>
        vm.SeedAsync(SeedFiles.FromDirectory(Path.Combine(AppContext.BaseDirectory, "webapp")), "/home/user/apps", cancellationToken);
}
