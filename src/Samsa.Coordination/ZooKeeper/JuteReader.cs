using System.Buffers.Binary;
using System.Text;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// Reads jute's binary encoding (see <see cref="JuteWriter"/>) from a received frame. A read past
/// the end or a negative/oversized length does not throw: it returns a default value and sets
/// <see cref="Failed"/>, which the caller checks once after reading a whole record (a malformed
/// frame means a broken stream, handled as a lost connection).
/// </summary>
internal ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
        Failed = false;
    }

    public bool Failed { get; private set; }

    public readonly int Remaining => _data.Length - _position;

    public int ReadInt32()
    {
        if (!Take(4, out ReadOnlySpan<byte> bytes))
        {
            return 0;
        }

        return BinaryPrimitives.ReadInt32BigEndian(bytes);
    }

    public long ReadInt64()
    {
        if (!Take(8, out ReadOnlySpan<byte> bytes))
        {
            return 0;
        }

        return BinaryPrimitives.ReadInt64BigEndian(bytes);
    }

    public bool ReadBool() => Take(1, out ReadOnlySpan<byte> bytes) && bytes[0] != 0;

    /// <summary>A ustring; null when the length is -1.</summary>
    public string? ReadString()
    {
        int length = ReadInt32();
        if (length == -1 || Failed)
        {
            return null;
        }

        return Take(length, out ReadOnlySpan<byte> bytes) ? Encoding.UTF8.GetString(bytes) : null;
    }

    /// <summary>A buffer, copied out of the frame; empty when the length is -1 (ZooKeeper's null data).</summary>
    public byte[] ReadBuffer()
    {
        int length = ReadInt32();
        if (length == -1 || Failed)
        {
            return [];
        }

        return Take(length, out ReadOnlySpan<byte> bytes) ? bytes.ToArray() : [];
    }

    /// <summary>A Stat (czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, dataLength, numChildren, pzxid); aversion is dropped.</summary>
    public NodeStat ReadStat()
    {
        long czxid = ReadInt64();
        long mzxid = ReadInt64();
        long ctime = ReadInt64();
        long mtime = ReadInt64();
        int version = ReadInt32();
        int cversion = ReadInt32();
        _ = ReadInt32();
        long ephemeralOwner = ReadInt64();
        int dataLength = ReadInt32();
        int numChildren = ReadInt32();
        long pzxid = ReadInt64();
        return new NodeStat(czxid, mzxid, ctime, mtime, version, cversion, ephemeralOwner, dataLength, numChildren, pzxid);
    }

    private bool Take(int count, out ReadOnlySpan<byte> bytes)
    {
        if (Failed || count < 0 || count > _data.Length - _position)
        {
            Failed = true;
            bytes = default;
            return false;
        }

        bytes = _data.Slice(_position, count);
        _position += count;
        return true;
    }
}
