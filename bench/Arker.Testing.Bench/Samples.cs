using System.Diagnostics;

namespace Arker.Testing.Bench;

/// <summary>Timings of one operation, summarised by percentiles.</summary>
internal sealed class Samples
{
    private readonly List<double> _milliseconds = [];

    public int Count => _milliseconds.Count;

    public async Task<T> TimeAsync<T>(Func<Task<T>> operation)
    {
        long start = Stopwatch.GetTimestamp();
        T result = await operation();
        _milliseconds.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return result;
    }

    public void Add(TimeSpan elapsed) => _milliseconds.Add(elapsed.TotalMilliseconds);

    public double Percentile(double p)
    {
        double[] sorted = [.. _milliseconds.Order()];
        return sorted[(int)Math.Clamp(Math.Round(p / 100 * (sorted.Length - 1)), 0, sorted.Length - 1)];
    }

    public double P50 => Percentile(50);

    public double P90 => Percentile(90);
}
