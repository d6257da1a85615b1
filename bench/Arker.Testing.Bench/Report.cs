using System.Globalization;

namespace Arker.Testing.Bench;

/// <summary>Prints results as Markdown table rows, ready for the README's performance table.</summary>
internal sealed class Report(TextWriter output)
{
    public void Section(string title)
    {
        output.WriteLine();
        output.WriteLine($"### {title}");
        output.WriteLine();
        output.WriteLine("| measure | p50 | p90 | samples |");
        output.WriteLine("|---|---|---|---|");
    }

    public void Row(string measure, Samples samples, string unit) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"| {measure} | {samples.P50:0.00} {unit} | {samples.P90:0.00} {unit} | {samples.Count} |"));

    public void Ratio(string measure, double ratio) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"| {measure} | **{ratio:0.00}×** | | |"));

    /// <summary>A single figure, such as a mean over many operations.</summary>
    public void Value(string measure, string value) =>
        Line($"| {measure} | {value} | | |");

    public void Throughput(string measure, long bytes, Samples samples)
    {
        double MegabytesPerSecond(double milliseconds) => bytes / 1e6 / (milliseconds / 1000);
        Line(string.Create(CultureInfo.InvariantCulture, $"| {measure} | {MegabytesPerSecond(samples.P50):0} MB/s | {MegabytesPerSecond(samples.P90):0} MB/s | {samples.Count} |"));
    }

    public void Line(string text) => output.WriteLine(text);
}
