using System.Globalization;
using Arker.Testing.Shared;

namespace Arker.Testing.Local.Sessions;

/// <summary>
/// A VM's sessions by id, each with its index: the default session (<c>0</c>) always exists, a
/// session named by a free number has that index, any other the next index free. Not thread-safe:
/// its VM's lock guards it.
/// </summary>
internal sealed class SessionTable
{
    /// <summary>The session a run uses when it names none.</summary>
    public const string DefaultSession = "0";

    private readonly Dictionary<string, SessionSlot> _sessions = new(StringComparer.Ordinal);

    /// <summary>A table holding <paramref name="inherited"/> (a fork's copies of its parent's sessions).</summary>
    public SessionTable(IEnumerable<KeyValuePair<string, SessionSlot>> inherited)
    {
        foreach ((string id, SessionSlot slot) in inherited)
        {
            _sessions[id] = slot;
        }
    }

    /// <summary>The sessions in index order (the default session once it has run).</summary>
    public IReadOnlyList<KeyValuePair<string, SessionSlot>> InIndexOrder() => [.. _sessions.OrderBy(s => s.Value.Index)];

    /// <summary>The sessions as they are now.</summary>
    public List<KeyValuePair<string, SessionSlot>> Snapshot() => [.. _sessions];

    /// <summary>Adds a session that starts in <paramref name="cwd"/> with <paramref name="environment"/> exported; a taken id is a conflict.</summary>
    public SessionSlot Create(string id, string cwd, IReadOnlyDictionary<string, string>? environment)
    {
        string? exports = environment is null ? null : string.Concat(environment.Select(e => $"export {e.Key}={ShellQuoting.Quote(e.Value)}\n"));
        var slot = new SessionSlot(IndexForNewSession(id), cwd, exports, environment);
        return _sessions.TryAdd(id, slot) ? slot : throw LocalArkerException.Conflict($"session {id} already exists", "session");
    }

    /// <summary>The session <paramref name="id"/>, made on the spot if a run names one that does not exist yet.</summary>
    public SessionSlot GetOrAdd(string id)
    {
        if (!_sessions.TryGetValue(id, out SessionSlot? slot))
        {
            slot = new SessionSlot(IndexForNewSession(id));
            _sessions[id] = slot;
        }

        return slot;
    }

    /// <summary>The id of the session with <paramref name="index"/>; a number no session has yet names a new one, made on its first run.</summary>
    public string IdAt(int index)
    {
        foreach ((string id, SessionSlot slot) in _sessions)
        {
            if (slot.Index == index)
            {
                return id;
            }
        }

        return index.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Whether the session <paramref name="id"/> exists: the default session always does, others once created or run in.</summary>
    public bool Contains(string id) => id == DefaultSession || _sessions.ContainsKey(id);

    /// <summary>Forgets the session <paramref name="id"/>; its slot, if it ever ran, comes back for its shell to be ended. An unknown id is not found.</summary>
    public SessionSlot? Remove(string id) =>
        _sessions.Remove(id, out SessionSlot? slot) || id == DefaultSession
            ? slot
            : throw LocalArkerException.NotFound($"session not found: {id}", "session");

    private int IndexForNewSession(string id) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && !_sessions.Values.Any(s => s.Index == number)
            ? number
            : _sessions.Values.Select(s => s.Index + 1).Append(1).Max();
}
