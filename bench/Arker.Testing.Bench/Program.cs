using Arker.Testing.Bench;

// Benchmarks of Arker.Testing. Run: ./build.sh bench [SUITE|all] (the suites below, in the order "all" runs them).
// Each figure in the README's performance table comes from this program.
var suites = new (string Name, Func<Report, Task> Run)[]
{
    ("server", ServerBenchmarks.RunAsync),
    ("protocols", ProtocolBenchmarks.RunAsync),
    ("network", NetworkBenchmarks.RunAsync),
    ("client", ClientBenchmarks.RunAsync),
    ("fixtures", FixtureBenchmarks.RunAsync),
    ("project", ProjectBenchmarks.RunAsync),
    ("scale", ScaleBenchmarks.RunAsync),
    ("starter", StarterBenchmarks.RunAsync),
    ("cache", CacheBenchmarks.RunAsync),
    ("images", ImageBenchmarks.RunAsync),
};

string suite = args.Length > 0 ? args[0] : "all";
var chosen = suites.Where(s => suite == "all" || s.Name == suite).ToArray();
if (chosen.Length == 0)
{
    Console.Error.WriteLine($"usage: Arker.Testing.Bench [{string.Join('|', suites.Select(s => s.Name))}|all]");
    return 2;
}

var report = new Report(Console.Out);
Console.WriteLine($"Arker.Testing benchmarks: {suite} ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription})");
foreach ((_, Func<Report, Task> run) in chosen)
{
    await run(report);
}

return 0;
