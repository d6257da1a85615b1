namespace Arker.Testing.Samples.NUnit;

/// <summary>
/// A real PostgreSQL per test: the template installs and seeds it once (<see cref="PostgresMachine"/>);
/// each test's fork starts it and talks to it from .NET through an exposed port (<see cref="NotesDatabase"/>).
/// Whatever a test does to the data, the next one starts from the seed, whichever order they run in, in parallel.
/// </summary>
[ArkerVm(typeof(PostgresMachine))]
[Parallelizable(ParallelScope.All)]
public sealed class DatabaseTests : ArkerTest
{
    [TestCase("written by the first test")]
    [TestCase("written by the second test")]
    public async Task Each_test_starts_from_the_seed_data_and_may_change_it_as_it_likes(string note)
    {
        await using NotesDatabase database = await NotesDatabase.OpenAsync(Vm, CancellationToken);
        string[] before = await database.NotesAsync(CancellationToken);

        await database.ExecuteAsync("DELETE FROM notes WHERE text = 'buy milk'", CancellationToken);
        await database.ExecuteAsync("INSERT INTO notes (text) VALUES ($1)", CancellationToken, note);

        Assert.That(before, Is.EqualTo((string[])["buy milk", "call mum"]));
        Assert.That(await database.NotesAsync(CancellationToken), Is.EqualTo((string[])["call mum", note]));
    }

    [Test]
    public async Task Even_a_dropped_table_is_the_tests_own()
    {
        await using NotesDatabase database = await NotesDatabase.OpenAsync(Vm, CancellationToken);

        await database.ExecuteAsync("DROP TABLE notes", CancellationToken);

        Assert.That(await database.TablesNamedAsync("notes", CancellationToken), Is.Zero);
    }
}
