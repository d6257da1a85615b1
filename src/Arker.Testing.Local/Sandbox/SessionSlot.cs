namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// One named session of a VM: its shell when one is running, and the state to restart it with
/// (working directory and exported environment) after a timeout, an <c>exit</c>, or a fork.
/// </summary>
internal sealed class SessionSlot
{
    public SessionSlot(string cwd = "/home/user", string? exports = null)
    {
        Cwd = cwd;
        Exports = exports;
    }

    /// <summary>Held by the one run a session may have at a time.</summary>
    public SemaphoreSlim Busy { get; } = new(1, 1);

    public ShellSession? Shell { get; set; }

    public string Cwd { get; set; }

    public string? Exports { get; set; }

    /// <summary>Stops the shell, first saving its state so the next run picks up where it left off.</summary>
    public async Task SaveAndStopAsync()
    {
        if (Shell is not { } shell)
        {
            return;
        }

        if (!shell.HasExited)
        {
            Exports = await shell.CaptureExportsAsync() ?? Exports;
            Cwd = shell.Cwd;
        }

        Shell = null;
        await shell.KillAndWaitAsync();
    }
}
