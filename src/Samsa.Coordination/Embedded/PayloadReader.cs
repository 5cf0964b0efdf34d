using System.Buffers.Binary;
using System.Text;

namespace Samsa.Coordination.Embedded;

/// <summary>
/// Big-endian reads matching <see cref="PayloadWriter"/>. Input has passed its CRC, so running out
/// of bytes or a negative length means a bug or a collision, reported as <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> buffer)
{
    private ReadOnlySpan<byte> _rest = buffer;

    public readonly bool IsEmpty => _rest.IsEmpty;

    public byte ReadByte() => Take(1)[0];

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(sizeof(int)));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(sizeof(long)));

    public byte[] ReadBytes() => Take(ReadLength()).ToArray();

    public string ReadString() => Encoding.UTF8.GetString(Take(ReadLength()));

    private int ReadLength()
    {
        int length = ReadInt32();
        if (length < 0)
        {
            throw new InvalidDataException($"Negative length {length}");
        }

        return length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_rest.Length < count)
        {
            throw new InvalidDataException($"Needed {count} more bytes, {_rest.Length} left");
        }

        ReadOnlySpan<byte> taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }
}
