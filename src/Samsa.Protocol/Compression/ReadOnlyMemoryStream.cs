namespace Samsa.Protocol.Compression;

/// <summary>
/// A forward-only read stream over borrowed memory, so stream-only decoders (GZip, LZ4 frames) can
/// read a batch's records in place instead of from a copy. Lives for one decompression call.
/// </summary>
internal sealed class ReadOnlyMemoryStream : Stream
{
    private readonly ReadOnlyMemory<byte> _source;
    private int _position;

    public ReadOnlyMemoryStream(ReadOnlyMemory<byte> source)
    {
        _source = source;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        ReadOnlySpan<byte> remaining = _source.Span[_position..];
        int count = Math.Min(remaining.Length, buffer.Length);
        remaining[..count].CopyTo(buffer);
        _position += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int ReadByte() => _position < _source.Length ? _source.Span[_position++] : -1;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
