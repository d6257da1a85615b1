using Npgsql;

namespace Arker.Testing.Samples.Xunit;

/// <summary>
/// A real PostgreSQL per test: the template installs and seeds it once (<see cref="PostgresMachine"/>);
/// each test's fork starts it and talks to it from .NET through an exposed port. Whatever a test
/// does to the data, the next one starts from the seed, whichever order they run in.
/// </summary>
[ArkerVm(typeof(PostgresMachine))]
public sealed class DatabaseTests : ArkerTest
{
    [Theory]
    [InlineData("written by the first test")]
    [InlineData("written by the second test")]
    public async Task Each_test_starts_from_the_seed_data_and_may_change_it_as_it_likes(string note)
    {
        await using NpgsqlConnection database = await OpenAsync();
        string[] before = await NotesAsync(database);

        await ExecuteAsync(database, "DELETE FROM notes WHERE text = 'buy milk'");
        await ExecuteAsync(database, "INSERT INTO notes (text) VALUES ($1)", note);

        Assert.Equal(["buy milk", "call mum"], before);
        Assert.Equal(["call mum", note], await NotesAsync(database));
    }

    [Fact]
    public async Task Even_a_dropped_table_is_the_tests_own()
    {
        await using NpgsqlConnection database = await OpenAsync();

        await ExecuteAsync(database, "DROP TABLE notes");
        int tables = Convert.ToInt32(await new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE tablename = 'notes'", database).ExecuteScalarAsync(CancellationToken), System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(0, tables);
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var database = new NpgsqlConnection(await PostgresMachine.ConnectionStringAsync(Vm, CancellationToken));
        await database.OpenAsync(CancellationToken);
        return database;
    }

    private static async Task<string[]> NotesAsync(NpgsqlConnection database)
    {
        await using var command = new NpgsqlCommand("SELECT text FROM notes ORDER BY id", database);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(CancellationToken);
        var notes = new List<string>();
        while (await reader.ReadAsync(CancellationToken))
        {
            notes.Add(reader.GetString(0));
        }

        return [.. notes];
    }

    private static async Task ExecuteAsync(NpgsqlConnection database, string sql, params string[] values)
    {
        await using var command = new NpgsqlCommand(sql, database);
        foreach (string value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(CancellationToken);
    }
}
