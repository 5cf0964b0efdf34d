using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// Builds one request frame in a pooled buffer with jute's binary encoding (big-endian ints and
/// longs; a boolean is one byte; ustring and buffer are an int32 length, -1 for null, then the
/// bytes, strings as UTF-8; a vector is an int32 count, -1 for null, then the items). The frame
/// starts with its int32 length and the RequestHeader (xid, type); the xid is patched in when the
/// request goes out. The caller owns the buffer until <see cref="Dispose"/> returns it.
/// </summary>
internal sealed class JuteWriter : IDisposable
{
    /// <summary>Offset of the xid in a frame: after the length prefix.</summary>
    public const int XidOffset = 4;

    private byte[] _buffer;
    private int _length;

    public JuteWriter(int capacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(capacity);
    }

    public int Length => _length;

    public ReadOnlyMemory<byte> Frame => _buffer.AsMemory(0, _length);

    /// <summary>Starts a request frame: a length placeholder, xid 0 (set at send) and the type.</summary>
    public static JuteWriter ForRequest(ZooKeeperOpCode type, int capacity = 256)
    {
        var writer = new JuteWriter(capacity);
        writer.WriteInt32(0);
        writer.WriteInt32(0);
        writer.WriteInt32((int)type);
        return writer;
    }

    /// <summary>Writes the length prefix (everything after it) into the first four bytes.</summary>
    public void FinishFrame() => BinaryPrimitives.WriteInt32BigEndian(_buffer, _length - 4);

    public void SetXid(int xid) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(XidOffset), xid);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Grow(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Grow(8), value);

    public void WriteBool(bool value) => Grow(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }

        int byteCount = Encoding.UTF8.GetByteCount(value);
        WriteInt32(byteCount);
        Encoding.UTF8.GetBytes(value, Grow(byteCount));
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        value.CopyTo(Grow(value.Length));
    }

    /// <summary>ZooDefs.Ids.OPEN_ACL_UNSAFE: one ACL, perms ALL (31) for id world:anyone, what Kafka uses without zookeeper.set.acl.</summary>
    public void WriteOpenAcl()
    {
        WriteInt32(1);
        WriteInt32(31);
        WriteString("world");
        WriteString("anyone");
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        Span<byte> span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
