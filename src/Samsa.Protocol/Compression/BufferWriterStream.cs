using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Compression;

/// <summary>
/// A write-only stream that appends to a <see cref="PooledBufferWriter"/>, so stream-only encoders
/// write compressed output straight after the batch header. Lives for one compression call; the
/// writer stays owned by the caller.
/// </summary>
internal sealed class BufferWriterStream : Stream
{
    private readonly PooledBufferWriter _destination;

    public BufferWriterStream(PooledBufferWriter destination)
    {
        _destination = destination;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        buffer.CopyTo(_destination.GetSpan(buffer.Length));
        _destination.Advance(buffer.Length);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value)
    {
        _destination.GetSpan(1)[0] = value;
        _destination.Advance(1);
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
