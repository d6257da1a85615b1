using Arker.Testing.Local;
using Arker.Testing.Local.Sessions;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>A VM's sessions: the default session always there, numbers keep their index, names take the next free one.</summary>
public sealed class SessionTableTests
{
    [Fact]
    public void The_default_session_exists_before_it_has_run_and_others_once_created_or_run_in()
    {
        var sessions = new SessionTable([]);

        Assert.True(sessions.Contains(SessionTable.DefaultSession));
        Assert.False(sessions.Contains("build"));
        sessions.GetOrAdd("build");
        Assert.True(sessions.Contains("build"));
    }

    [Fact]
    public void A_session_named_by_a_free_number_has_that_index_a_named_one_the_next_free_index()
    {
        var sessions = new SessionTable([]);

        SessionSlot five = sessions.GetOrAdd("5");
        SessionSlot named = sessions.Create("build", "/tmp", new Dictionary<string, string> { ["WHO"] = "it's me" });
        SessionSlot zero = sessions.GetOrAdd(SessionTable.DefaultSession);

        Assert.Equal((5, 6, 0), (five.Index, named.Index, zero.Index));
        Assert.Equal("build", sessions.IdAt(6));
        Assert.Equal("7", sessions.IdAt(7)); // a number nobody has names a new session
        Assert.Equal(["0", "5", "build"], sessions.InIndexOrder().Select(s => s.Key));
        Assert.Equal("export WHO='it'\\''s me'\n", named.Exports);
        Assert.Equal("/tmp", named.Cwd);
    }

    [Fact]
    public void Creating_a_session_twice_is_a_conflict_and_removing_an_unknown_one_not_found()
    {
        var sessions = new SessionTable([]);
        sessions.Create("a", "/home/user", environment: null);

        LocalArkerException conflict = Assert.Throws<LocalArkerException>(() => sessions.Create("a", "/home/user", environment: null));
        LocalArkerException missing = Assert.Throws<LocalArkerException>(() => sessions.Remove("nope"));

        Assert.Equal((LocalArkerError.Conflict, "session"), (conflict.Error, conflict.Resource));
        Assert.Equal((LocalArkerError.NotFound, "session not found: nope"), (missing.Error, missing.Message));
        Assert.Null(sessions.Remove(SessionTable.DefaultSession)); // never ran: nothing to end, and no error
        Assert.NotNull(sessions.Remove("a"));
        Assert.False(sessions.Contains("a"));
    }

    [Fact]
    public void A_fork_inherits_its_parents_sessions_with_their_indexes()
    {
        var parent = new SessionTable([]);
        parent.Create("db", "/srv", environment: null);

        var child = new SessionTable(parent.Snapshot().Select(s => KeyValuePair.Create(s.Key, new SessionSlot(s.Value.Index, s.Value.Cwd))));

        Assert.True(child.Contains("db"));
        Assert.Equal("db", child.IdAt(1));
        Assert.Equal(2, child.GetOrAdd("web").Index);
    }
}
