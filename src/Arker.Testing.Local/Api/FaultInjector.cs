namespace Arker.Testing.Local.Api;

/// <summary>
/// Fails a chosen fraction of requests on purpose, so clients can prove their retries: HTTP 429,
/// 502, 503 or 504, an <c>internal</c> envelope whose message says <c>SlowDown</c>, a dropped
/// connection, or a transient error on one write entry. Faults happen before any side effect, and
/// the sequence is fixed by the seed.
/// </summary>
internal sealed class FaultInjector
{
    private static readonly int[] Statuses = [429, 502, 503, 504];
    private readonly Random _random;
    private readonly Lock _gate = new();

    public FaultInjector(double rate, int seed)
    {
        if (rate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "the fault rate is a fraction between 0 and 1");
        }

        Rate = rate;
        _random = new Random(seed);
    }

    public double Rate { get; }

    public bool Enabled => Rate > 0;

    /// <summary>Applies a fault to this request, if one is drawn; returns true when the request is done.</summary>
    /// <remarks><paramref name="writeError"/> answers with a status and message in the request's own envelope.</remarks>
    public async Task<bool> TryFailAsync(HttpContext context, bool presigned, Func<int, string, Task> writeError)
    {
        int choice;
        lock (_gate)
        {
            if (_random.NextDouble() >= Rate)
            {
                return false;
            }

            // Presigned transfers are plain HTTP: only status-code faults apply to them.
            choice = _random.Next(presigned ? Statuses.Length : Statuses.Length + 2);
        }

        if (choice < Statuses.Length)
        {
            await writeError(Statuses[choice], $"{Statuses[choice]} injected fault (Service Unavailable)");
        }
        else if (choice == Statuses.Length)
        {
            await writeError(500, "SlowDown: injected fault, please retry");
        }
        else
        {
            context.Abort();
        }

        return true;
    }

    /// <summary>Whether one write entry should fail with a transient error.</summary>
    public bool NextEntryFails()
    {
        lock (_gate)
        {
            return _random.NextDouble() < Rate;
        }
    }
}
