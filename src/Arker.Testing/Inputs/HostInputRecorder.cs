namespace Arker.Testing.Inputs;

/// <summary>
/// Collects the host inputs read while a base is provisioned. The fixtures begin a recording
/// around a template's provisioning; the library's helpers that read this machine report what
/// they read to the recording of the flow they run in, if any (an <see cref="AsyncLocal{T}"/>,
/// so bases provisioned at the same time keep apart). The client reports its uploads through
/// <see cref="Client.LocalFileReads"/>, so that it need not know of recordings.
/// </summary>
internal sealed class HostInputRecorder : IDisposable
{
    private static readonly AsyncLocal<HostInputRecorder?> Current = new();
    private readonly HostInputRecorder? _outer;
    private readonly Action<string>? _outerListener;
    private readonly List<HostInput> _inputs = [];

    private HostInputRecorder(HostInputRecorder? outer, Action<string>? outerListener)
    {
        _outer = outer;
        _outerListener = outerListener;
    }

    /// <summary>Starts recording in this flow (and the flows it starts) until disposed.</summary>
    public static HostInputRecorder Begin()
    {
        var recorder = new HostInputRecorder(Current.Value, Client.LocalFileReads.Current);
        Current.Value = recorder;
        Client.LocalFileReads.Current = path => Record(HostInput.File(path));
        return recorder;
    }

    /// <summary>Notes that <paramref name="input"/> was read, when a recording is on in this flow.</summary>
    public static void Record(HostInput input)
    {
        if (Current.Value is { } recorder)
        {
            lock (recorder._inputs)
            {
                if (!recorder._inputs.Contains(input))
                {
                    recorder._inputs.Add(input);
                }
            }
        }
    }

    /// <summary>What was read so far, in the order first read.</summary>
    public IReadOnlyList<HostInput> Inputs
    {
        get
        {
            lock (_inputs)
            {
                return [.. _inputs];
            }
        }
    }

    public void Dispose()
    {
        Current.Value = _outer;
        Client.LocalFileReads.Current = _outerListener;
    }
}
