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
        (await vm.RunAsync($"{PgCtl} stop", cancellationToken)).ShouldSucceed();
    }

    /// <summary>
    /// The cluster's own <c>pg_ctl</c> as the <c>postgres</c> user, with the distribution's layout
    /// (any version): <c>pg_ctl start -w</c> returns as soon as the server takes connections, where
    /// Debian's <c>pg_ctlcluster</c> polls for about two seconds.
    /// </summary>
    private const string PgCtl =
        "v=$(ls /etc/postgresql) && sudo -u postgres /usr/lib/postgresql/$v/bin/pg_ctl -w -s -D /var/lib/postgresql/$v/main " +
        "-o \"-c config_file=/etc/postgresql/$v/main/postgresql.conf\" -l /var/log/postgresql/postgresql-$v-main.log";

    /// <summary>Starts the VM's PostgreSQL and waits until it takes connections (never sleeps for it).</summary>
    public static async Task StartAsync(Computer vm, CancellationToken cancellationToken)
    {
        (await vm.RunAsync($"{{ {PgCtl} status; }} >/dev/null 2>&1 || {{ {PgCtl} start; }}", cancellationToken)).ShouldSucceed(); // the package's install starts it once
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
