namespace Arker.Testing.Inputs;

/// <summary>
/// Collects the host inputs read while a base is provisioned. The fixtures begin a recording
/// around a template's provisioning; the library's helpers that read this machine report what
/// they read to the recording of the flow they run in, if any (an <see cref="AsyncLocal{T}"/>,
/// so bases provisioned at the same time keep apart). The client reports its uploads through
/// <see cref="Client.LocalFileReads"/>, so that it need not know of recordings. Each input is
/// read (hashed) when it is reported, which is before the helper reads it: a file edited while a
/// base is provisioned can only make the next run provision again, never reuse a stale base.
/// </summary>
internal sealed class HostInputRecorder : IDisposable
{
    private static readonly AsyncLocal<HostInputRecorder?> Current = new();
    private readonly HostInputRecorder? _outer;
    private readonly Action<string>? _outerListener;
    private readonly List<InputState> _inputs = [];

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

    /// <summary>Notes that <paramref name="input"/> is about to be read, with its state now, when a recording is on in this flow.</summary>
    public static void Record(HostInput input)
    {
        if (Current.Value is not { } recorder)
        {
            return;
        }

        lock (recorder._inputs)
        {
            if (recorder._inputs.Exists(known => known.Input.Equals(input)))
            {
                return;
            }
        }

        InputState state = HostInputState.ReadOne(input);
        lock (recorder._inputs)
        {
            recorder._inputs.Add(state); // a duplicate read in between on another flow is dropped by HostInputState.Of
        }
    }

    /// <summary>What was read so far, each as it was when first read.</summary>
    public IReadOnlyList<InputState> Inputs
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
