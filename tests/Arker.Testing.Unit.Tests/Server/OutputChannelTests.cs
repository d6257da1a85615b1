using System.Text;
using Arker.Testing.Local.Sessions;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>A session's output read up to a run's sentinel, however the bytes arrive.</summary>
public sealed class OutputChannelTests
{
    private static readonly byte[] Marker = "@@END@@"u8.ToArray();

    [Fact]
    public async Task Output_ends_at_the_marker_even_when_it_arrives_split_across_reads()
    {
        var channel = new OutputChannel(new TrickleStream("hello\n@@END@@"), cap: 1024);

        ChannelRead read = await channel.ReadUntilAsync(Marker, untilLineEnd: false);

        Assert.True(read.Found);
        Assert.Equal("hello\n", Encoding.UTF8.GetString(read.Output));
    }

    [Fact]
    public async Task Bytes_after_the_marker_are_kept_for_the_next_run()
    {
        var channel = new OutputChannel(new MemoryStream("first@@END@@late output@@END@@"u8.ToArray()), cap: 1024);

        ChannelRead first = await channel.ReadUntilAsync(Marker, untilLineEnd: false);
        ChannelRead second = await channel.ReadUntilAsync(Marker, untilLineEnd: false);

        Assert.Equal(("first", "late output"), (Encoding.UTF8.GetString(first.Output), Encoding.UTF8.GetString(second.Output)));
    }

    [Fact]
    public async Task The_rest_of_the_marker_line_is_the_trailer()
    {
        var channel = new OutputChannel(new TrickleStream("out@@END@@ 0 /home/user\nnext"), cap: 1024);

        ChannelRead read = await channel.ReadUntilAsync(Marker, untilLineEnd: true);
        ChannelRead next = await channel.ReadUntilAsync(Marker, untilLineEnd: false);

        Assert.Equal(" 0 /home/user", Encoding.UTF8.GetString(read.Trailer!));
        Assert.Equal("next", Encoding.UTF8.GetString(next.Output));
        Assert.False(next.Found);
    }

    [Fact]
    public async Task Output_past_the_cap_is_counted_and_dropped()
    {
        var channel = new OutputChannel(new MemoryStream(Encoding.UTF8.GetBytes(new string('x', 100) + "@@END@@")), cap: 10);

        ChannelRead read = await channel.ReadUntilAsync(Marker, untilLineEnd: false);

        Assert.Equal((10, 90L, true), (read.Output.Length, read.DroppedBytes, read.Found));
    }

    [Fact]
    public async Task A_stream_that_ends_before_the_marker_returns_what_came_not_found()
    {
        var channel = new OutputChannel(new MemoryStream("partial @@EN"u8.ToArray()), cap: 1024);

        ChannelRead read = await channel.ReadUntilAsync(Marker, untilLineEnd: false);

        Assert.False(read.Found);
        Assert.Equal("partial @@EN", Encoding.UTF8.GetString(read.Output));
    }

    /// <summary>A stream that gives its bytes one at a time, as a pipe may.</summary>
    private sealed class TrickleStream(string text) : Stream
    {
        private readonly MemoryStream _inner = new(Encoding.UTF8.GetBytes(text));

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(1, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
