namespace Arker.Testing.Tests.Infrastructure;

/// <summary>
/// A seekable, read-only stream of <c>length</c> zeros, so large uploads need no buffer. Given a
/// <see cref="CancellationTokenSource"/>, it cancels it once it has given out <c>cancelAfterBytes</c>.
/// </summary>
internal sealed class ZeroStream(long length, long cancelAfterBytes = long.MaxValue, CancellationTokenSource? cancel = null) : Stream
{
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => _position; set => _position = value; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position >= cancelAfterBytes)
        {
            cancel?.Cancel();
        }

        int n = (int)Math.Min(count, length - _position);
        Array.Clear(buffer, offset, n);
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => length + offset,
    };

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
