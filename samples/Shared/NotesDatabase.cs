using Arker.Testing.Client;
using Npgsql;

namespace Arker.Testing.Samples;

/// <summary>The notes database of a test's own VM (see <see cref="PostgresMachine"/>): started, reached from this machine, and queried.</summary>
public sealed class NotesDatabase : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;

    private NotesDatabase(NpgsqlConnection connection) => _connection = connection;

    /// <summary>Starts the VM's PostgreSQL, waits until it takes connections, and connects to it through an exposed port.</summary>
    public static async Task<NotesDatabase> OpenAsync(Computer vm, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(await PostgresMachine.ConnectionStringAsync(vm, cancellationToken));
        await connection.OpenAsync(cancellationToken);
        return new NotesDatabase(connection);
    }

    /// <summary>The notes, in the order they were written.</summary>
    public async Task<string[]> NotesAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT text FROM notes ORDER BY id", _connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var notes = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            notes.Add(reader.GetString(0));
        }

        return [.. notes];
    }

    /// <summary>Runs <paramref name="sql"/>, with <paramref name="values"/> as its parameters ($1, $2, …).</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params string[] values)
    {
        await using var command = new NpgsqlCommand(sql, _connection);
        foreach (string value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>How many tables of that name the database has.</summary>
    public async Task<long> TablesNamedAsync(string name, CancellationToken cancellationToken)
    {
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE tablename = $1", _connection) { Parameters = { new NpgsqlParameter { Value = name } } };
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
