namespace Arker.Testing.Client;

/// <summary>Options of <see cref="Computer.RunAsync(string, RunOptions?, CancellationToken)"/>.</summary>
public sealed class RunOptions
{
    /// <summary>The persistent shell to run in; its working directory and exported variables carry over.</summary>
    /// <value>The default is session <c>0</c>.</value>
    public SessionId? SessionId { get; set; }

    /// <summary>How long the command may run; on expiry its processes are killed and the exit code is -1.</summary>
    /// <value>The default is <see langword="null"/>: the service's limit (600 s on the local server).</value>
    public TimeSpan? Timeout { get; set; }
}
