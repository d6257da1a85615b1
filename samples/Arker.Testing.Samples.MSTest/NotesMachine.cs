using Arker.Testing.Fixtures;
using Arker.Testing.Seeding;

namespace Arker.Testing.Samples.MSTest;

/// <summary>A machine with both releases of the notes tool unpacked in ~/dist, not yet installed.</summary>
public sealed class NotesMachine : VmTemplate
{
    public override Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) =>
        vm.SeedAsync(SeedFiles.FromDirectory(Path.Combine(AppContext.BaseDirectory, "testdata")), "/home/user/dist", cancellationToken);
}
