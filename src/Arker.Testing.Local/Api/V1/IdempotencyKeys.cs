using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// The contract's <c>Idempotency-Key</c>: a fork or run sent again with the same key and the same
/// request answers what the first one answered (the same VM, the same run) without doing the work
/// twice; the same key with a different request is a 409 — <c>idempotency_conflict</c> where the
/// operation declares it (runs), else <c>conflict</c> (fork). A repeat whose first answer named
/// something since deleted (a fork's VM) is a 404, never the ghost of the old answer. Keys are kept
/// per organisation for a day, the most recent <see cref="Capacity"/> of them.
/// </summary>
internal sealed class IdempotencyKeys(TimeProvider time)
{
    public const string Header = "Idempotency-Key";
    private const int Capacity = 10_000;
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>
    /// Answers with <paramref name="respond"/>'s response, or — when the request carries a key
    /// already used for the same request — with the response recorded for it, once
    /// <paramref name="beforeRepeat"/> (which throws when the recorded answer no longer holds) allows.
    /// </summary>
    public async Task RespondAsync(
        HttpContext context,
        string operation,
        string fingerprint,
        Func<Task<RecordedResponse>> respond,
        bool declaresIdempotencyConflict = true,
        Action<RecordedResponse, string>? beforeRepeat = null)
    {
        string? key = KeyOf(context.Request);
        if (key is null)
        {
            await (await respond()).WriteAsync(context);
            return;
        }

        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{operation}\n{context.Request.Path}\n{fingerprint}")));
        string slot = $"{context.Organisation()}\n{key}";
        var mine = new Entry(hash, time.GetUtcNow(), new TaskCompletionSource<RecordedResponse>(TaskCreationOptions.RunContinuationsAsynchronously));
        Entry entry = _entries.GetOrAdd(slot, mine);
        if (entry == mine)
        {
            Remember(slot);
            try
            {
                mine.Response.SetResult(await respond());
            }
            catch (Exception ex)
            {
                // A failed request does not bind its key: the same request may try again.
                _entries.TryRemove(KeyValuePair.Create(slot, mine));
                mine.Response.SetException(ex);
                throw;
            }
        }
        else if (entry.Fingerprint != hash)
        {
            string message = $"Idempotency-Key '{key}' was used for a different request: send the original request again, or use a new key";
            throw declaresIdempotencyConflict ? ContractException.IdempotencyConflict(message) : ContractException.Conflict(message, "resource");
        }

        RecordedResponse recorded = await entry.Response.Task.WaitAsync(context.RequestAborted);
        if (entry != mine)
        {
            beforeRepeat?.Invoke(recorded, key);
        }

        await recorded.WriteAsync(context);
    }

    private static string? KeyOf(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(Header, out var values))
        {
            return null;
        }

        string key = values.ToString();
        return key.Length is >= 1 and <= 64 && key.All(c => c is >= ' ' and <= '~')
            ? key
            : throw ContractException.BadRequest($"header {Header} must be 1 to 64 printable ASCII characters (got {key.Length} characters)", Header);
    }

    private void Remember(string slot)
    {
        _order.Enqueue(slot);
        DateTimeOffset oldest = time.GetUtcNow() - Lifetime;
        while (_order.TryPeek(out string? first)
            && (_order.Count > Capacity || (_entries.TryGetValue(first, out Entry? old) && old.Created < oldest))
            && _order.TryDequeue(out first))
        {
            _entries.TryRemove(first, out _);
        }
    }

    private sealed record Entry(string Fingerprint, DateTimeOffset Created, TaskCompletionSource<RecordedResponse> Response);
}

/// <summary>A response kept to answer a repeated request: its status and JSON body, and the id of what it made.</summary>
internal sealed record RecordedResponse(int Status, byte[] Body, string? MadeId = null)
{
    public Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(Body, context.RequestAborted).AsTask();
    }
}
