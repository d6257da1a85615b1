using Arker.Testing.TestSupport;

namespace Arker.Testing.Bench;

/// <summary>
/// The local server the benchmarks measure: arker-local as its own process, as users run it, so
/// its memory can be read apart. <c>ARKER_LOCAL_COMMAND</c> names another build of it (an earlier
/// commit's, say) to compare.
/// </summary>
internal static class BenchServer
{
    public const string ApiKey = "ark_local_bench";

    /// <summary>Starts it with <paramref name="options"/>; with <paramref name="asUser"/>, as that unprivileged account, so it runs rootless.</summary>
    public static Task<ServerProcess> StartAsync(string? asUser = null, params string[] options) =>
        ServerProcess.StartAsync(["--api-key", ApiKey, .. options], environment: null, asUser);
}
