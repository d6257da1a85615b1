namespace Arker.Testing.Local.Sessions;

/// <summary>
/// One output stream of a session's shell, read up to the sentinel that ends a run. Bytes past
/// the sentinel (a background process that kept writing) are kept for the next run.
/// Output beyond <see cref="Cap"/> bytes is counted and dropped.
/// </summary>
internal sealed class OutputChannel
{
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private byte[] _pending = [];

    public OutputChannel(Stream stream, int cap)
    {
        _stream = stream;
        Cap = cap;
    }

    public int Cap { get; }

    /// <summary>
    /// Reads until <paramref name="marker"/>; with <paramref name="untilLineEnd"/>, also the rest of
    /// that line, which is returned as <see cref="ChannelRead.Trailer"/>.
    /// </summary>
    public async Task<ChannelRead> ReadUntilAsync(byte[] marker, bool untilLineEnd)
    {
        var output = new MemoryStream();
        long dropped = 0;
        byte[] carry = _pending;
        _pending = [];

        while (true)
        {
            int index = carry.AsSpan().IndexOf(marker);
            if (index >= 0)
            {
                Keep(carry.AsSpan(0, index));
                byte[] rest = carry[(index + marker.Length)..];
                if (!untilLineEnd)
                {
                    _pending = rest;
                    return new ChannelRead(output.ToArray(), dropped, Found: true, Trailer: null);
                }

                return await ReadTrailerAsync(rest, output, dropped);
            }

            int safe = Math.Max(0, carry.Length - (marker.Length - 1));
            Keep(carry.AsSpan(0, safe));
            carry = carry[safe..];

            int read = await _stream.ReadAsync(_buffer);
            if (read == 0)
            {
                Keep(carry);
                return new ChannelRead(output.ToArray(), dropped, Found: false, Trailer: null);
            }

            carry = [.. carry, .. _buffer.AsSpan(0, read)];
        }

        void Keep(ReadOnlySpan<byte> bytes)
        {
            int room = (int)Math.Max(0, Cap - output.Length);
            int take = Math.Min(room, bytes.Length);
            output.Write(bytes[..take]);
            dropped += bytes.Length - take;
        }
    }

    private async Task<ChannelRead> ReadTrailerAsync(byte[] rest, MemoryStream output, long dropped)
    {
        while (true)
        {
            int newline = Array.IndexOf(rest, (byte)'\n');
            if (newline >= 0)
            {
                _pending = rest[(newline + 1)..];
                return new ChannelRead(output.ToArray(), dropped, Found: true, Trailer: rest[..newline]);
            }

            int read = await _stream.ReadAsync(_buffer);
            if (read == 0)
            {
                return new ChannelRead(output.ToArray(), dropped, Found: false, Trailer: null);
            }

            rest = [.. rest, .. _buffer.AsSpan(0, read)];
        }
    }
}

/// <summary>What one run wrote to one stream.</summary>
internal readonly record struct ChannelRead(byte[] Output, long DroppedBytes, bool Found, byte[]? Trailer);
