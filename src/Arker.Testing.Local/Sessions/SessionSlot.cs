namespace Arker.Testing.Local.Sessions;

/// <summary>
/// One named session of a VM: its shell when one is running, and the state to restart it with
/// (working directory and exported environment) after a timeout, an <c>exit</c>, or a fork.
/// </summary>
internal sealed class SessionSlot
{
    public SessionSlot(int index, string cwd = "/home/user", string? exports = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        Index = index;
        Cwd = cwd;
        Exports = exports;
        Environment = environment;
    }

    /// <summary>The session's number within its VM: 0 is the default session.</summary>
    public int Index { get; }

    /// <summary>The environment the session was created with, as its creator gave it.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; }

    /// <summary>Whether a command is running in it.</summary>
    public bool IsRunning => Busy.CurrentCount == 0;

    /// <summary>Held by the one run a session may have at a time.</summary>
    public SemaphoreSlim Busy { get; } = new(1, 1);

    public ShellSession? Shell { get; set; }

    public string Cwd { get; set; }

    public string? Exports { get; set; }

    /// <summary>Saves the live shell's working directory and exported environment, for a restart or a fork.</summary>
    public async Task SaveStateAsync()
    {
        if (Shell is { HasExited: false } shell)
        {
            Exports = await shell.CaptureExportsAsync() ?? Exports;
            Cwd = shell.Cwd;
        }
    }

    /// <summary>Forgets the shell, whose processes are dead or dying; the caller reaps it.</summary>
    public ShellSession? DetachShell()
    {
        ShellSession? shell = Shell;
        Shell = null;
        return shell;
    }
}
