using System.Buffers;
using System.Net;

namespace Arker.Testing.Client;

/// <summary>
/// Sends <c>length</c> bytes of a stream from its current position, without taking ownership:
/// the stream is neither disposed nor read ahead, so a retry can seek back and send it again.
/// </summary>
internal sealed class StreamSliceContent : HttpContent
{
    private const int BufferSize = 1024 * 1024;
    private readonly Stream _source;
    private readonly long _length;

    public StreamSliceContent(Stream source, long length)
    {
        _source = source;
        _length = length;
        Headers.ContentLength = length;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long remaining = _length;
            while (remaining > 0)
            {
                int read = await _source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken);
                if (read == 0)
                {
                    throw new EndOfStreamException($"the content ended {remaining} bytes before the {_length} bytes announced");
                }

                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                remaining -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
