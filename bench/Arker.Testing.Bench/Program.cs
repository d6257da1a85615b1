using Arker.Testing.Bench;

// Benchmarks of Arker.Testing. Run: ./build.sh bench [server|protocols|network|client|fixtures|cache|images|all]
// Each figure in the README's performance table comes from this program.
string suite = args.Length > 0 ? args[0] : "all";
var report = new Report(Console.Out);
Console.WriteLine($"Arker.Testing benchmarks: {suite} ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription})");
switch (suite)
{
    case "server":
        await ServerBenchmarks.RunAsync(report);
        break;
    case "client":
        await ClientBenchmarks.RunAsync(report);
        break;
    case "protocols":
        await ProtocolBenchmarks.RunAsync(report);
        break;
    case "network":
        await NetworkBenchmarks.RunAsync(report);
        break;
    case "fixtures":
        await FixtureBenchmarks.RunAsync(report);
        break;
    case "cache":
        await CacheBenchmarks.RunAsync(report);
        break;
    case "images":
        await ImageBenchmarks.RunAsync(report);
        break;
    case "all":
        await ServerBenchmarks.RunAsync(report);
        await ProtocolBenchmarks.RunAsync(report);
        await NetworkBenchmarks.RunAsync(report);
        await ClientBenchmarks.RunAsync(report);
        await FixtureBenchmarks.RunAsync(report);
        await CacheBenchmarks.RunAsync(report);
        await ImageBenchmarks.RunAsync(report);
        break;
    default:
        Console.Error.WriteLine("usage: Arker.Testing.Bench [server|protocols|network|client|fixtures|cache|images|all]");
        return 2;
}

return 0;
