using System.Diagnostics;

namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>Waits on observable state (a file in a VM, a process on the host), never a fixed time; fails naming what never happened.</summary>
internal static class Eventually
{
    private static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(30);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? patience = null)
    {
        long started = Stopwatch.GetTimestamp();
        while (!await condition())
        {
            if (Stopwatch.GetElapsedTime(started) > (patience ?? DefaultPatience))
            {
                throw new TimeoutException($"{what} did not happen within {(patience ?? DefaultPatience).TotalSeconds:0} s");
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? patience = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, patience);

    /// <summary>Until <paramref name="path"/> exists in the VM (a command has reached that point).</summary>
    public static Task UntilFileExistsAsync(ApiClient api, string vmId, string path) =>
        UntilAsync(async () => (await api.ReadRawAsync(vmId, path)).Status == 200, $"{path} appearing in VM {vmId}");
}
