using Arker.Testing.Seeding;

namespace Arker.Testing.Samples.Xunit;

/// <summary>A machine with the notes web service's code in ~/notes-web, not yet started.</summary>
public sealed class NotesWebMachine : VmTemplate
{
    public override Task ProvisionAsync(Computer vm, CancellationToken cancellationToken) =>
        vm.SeedAsync(SeedFiles.FromDirectory(Path.Combine(AppContext.BaseDirectory, "webapp")), "/home/user/notes-web", cancellationToken);
}
