using Arker.Testing.Assertions;
using Arker.Testing.Client;
using Arker.Testing.Fixtures;

namespace Arker.Testing.Samples;

/// <summary>
/// A machine with PostgreSQL installed from the distribution's packages (<c>sudo apt-get</c>), a
/// database <c>notes</c> owned by the role <c>app</c>, with a table of seed data, and the server
/// stopped: every test's fork starts it, changes what it likes, and the next test's fork finds the
/// seed data as it was. Written against the Arker service's <c>ubuntu-base</c>; the local server
/// maps that name to an image (see the README, "Images").
/// </summary>
public sealed class PostgresMachine : VmTemplate
{
    public const int Port = 5432;

    public override string BaseImage => "ubuntu-base";

    public override async Task ProvisionAsync(Computer vm, CancellationToken cancellationToken)
    {
        await PackageSource.UseAsync(vm, cancellationToken);
        (await vm.RunAsync(
            "sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null",
            new RunOptions { Timeout = TimeSpan.FromMinutes(10) }, cancellationToken)).ShouldSucceed();
        await StartAsync(vm, cancellationToken);
        (await vm.RunAsync(
            """
            sudo -u postgres psql -v ON_ERROR_STOP=1 -q <<'SQL'
            CREATE ROLE app LOGIN PASSWORD 'app';
            CREATE DATABASE notes OWNER app;
            \connect notes
            SET ROLE app;
            CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL);
            INSERT INTO notes (text) VALUES ('buy milk'), ('call mum');
            SQL
            """, cancellationToken)).ShouldSucceed();
        (await vm.RunAsync("sudo pg_ctlcluster \"$(ls /etc/postgresql)\" main stop", cancellationToken)).ShouldSucceed();
    }

    /// <summary>Starts the VM's PostgreSQL and waits until it takes connections (never sleeps for it).</summary>
    public static async Task StartAsync(Computer vm, CancellationToken cancellationToken)
    {
        (await vm.RunAsync("sudo pg_ctlcluster \"$(ls /etc/postgresql)\" main start", cancellationToken)).ShouldSucceed();
        await vm.WaitForPortAsync(Port, TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>Starts the fork's database and returns how .NET reaches it from this machine.</summary>
    public static async Task<string> ConnectionStringAsync(Computer vm, CancellationToken cancellationToken)
    {
        await StartAsync(vm, cancellationToken);
        Uri database = await vm.ExposePortAsync(Port, cancellationToken);
        return $"Host={database.Host};Port={database.Port};Username=app;Password=app;Database=notes;Pooling=false";
    }
}
