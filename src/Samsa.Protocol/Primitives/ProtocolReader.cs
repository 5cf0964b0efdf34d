using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Samsa.Protocol.Primitives;

/// <summary>
/// Reads Kafka's wire primitives from one complete frame held in memory. Byte and record fields
/// come back as slices of the frame (no copy), so the frame's buffer must outlive the decoded
/// message. Every read checks the remaining length first and throws <see cref="ProtocolException"/>
/// on malformed input; no read allocates a claimed size before the bytes are there.
/// </summary>
public ref struct ProtocolReader
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public ProtocolReader(ReadOnlyMemory<byte> memory)
    {
        _memory = memory;
        _span = memory.Span;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _span.Length - _position;

    public readonly bool End => _position >= _span.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_span.Length - _position))
        {
            ProtocolThrow.Truncated(count, _span.Length - _position);
        }

        ReadOnlySpan<byte> slice = _span.Slice(_position, count);
        _position += count;
        return slice;
    }

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public byte ReadUInt8() => Take(1)[0];

    public bool ReadBool() => Take(1)[0] != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    public Uuid ReadUuid() => Uuid.Read(Take(Uuid.Size));

    public uint ReadUnsignedVarint()
    {
        if (!Varint.TryReadUnsigned(_span[_position..], out uint value, out int read))
        {
            ThrowVarint();
        }

        _position += read;
        return value;
    }

    public int ReadVarint()
    {
        if (!Varint.TryReadSigned(_span[_position..], out int value, out int read))
        {
            ThrowVarint();
        }

        _position += read;
        return value;
    }

    public long ReadVarlong()
    {
        if (!Varint.TryReadSigned(_span[_position..], out long value, out int read))
        {
            ThrowVarint();
        }

        _position += read;
        return value;
    }

    private readonly void ThrowVarint()
    {
        if (Remaining < Varint.MaxLength32)
        {
            ProtocolThrow.Truncated(Varint.MaxLength32, Remaining);
        }

        ProtocolThrow.BadVarint();
    }

    /// <summary>
    /// Reads a string or bytes length: int16 (classic string), int32 (classic bytes) or unsigned
    /// varint minus one (compact forms). Returns -1 for null. The length is checked against the
    /// remaining input before anything is allocated.
    /// </summary>
    private int ReadLength(bool compact, bool wide, string what)
    {
        long length;
        if (compact)
        {
            length = (long)ReadUnsignedVarint() - 1;
        }
        else
        {
            length = wide ? ReadInt32() : ReadInt16();
        }

        if (length < -1 || length > Remaining)
        {
            ProtocolThrow.BadLength(what, length, Remaining);
        }

        return (int)length;
    }

    public string ReadString(bool compact)
    {
        int length = ReadLength(compact, wide: false, "string");
        if (length < 0)
        {
            ProtocolThrow.UnexpectedNull("string");
        }

        return length == 0 ? string.Empty : Encoding.UTF8.GetString(Take(length));
    }

    public string? ReadNullableString(bool compact)
    {
        int length = ReadLength(compact, wide: false, "string");
        if (length < 0)
        {
            return null;
        }

        return length == 0 ? string.Empty : Encoding.UTF8.GetString(Take(length));
    }

    public ReadOnlyMemory<byte> ReadBytes(bool compact)
    {
        int length = ReadLength(compact, wide: true, "bytes");
        if (length < 0)
        {
            ProtocolThrow.UnexpectedNull("bytes");
        }

        return ReadRaw(length);
    }

    public ReadOnlyMemory<byte>? ReadNullableBytes(bool compact)
    {
        int length = ReadLength(compact, wide: true, "bytes");
        // Cast needed: a bare null would convert to an empty ReadOnlyMemory through byte[].
        return length < 0 ? (ReadOnlyMemory<byte>?)null : ReadRaw(length);
    }

    /// <summary>Returns the next <paramref name="length"/> bytes as a slice of the frame, without copying.</summary>
    public ReadOnlyMemory<byte> ReadRaw(int length)
    {
        _ = Take(length);
        return _memory.Slice(_position - length, length);
    }

    /// <summary>
    /// Reads an array count (int32, or compact unsigned varint minus one); -1 means null. Rejects a
    /// count that could not fit in the remaining bytes given each element takes at least
    /// <paramref name="minElementSize"/> bytes, so a lying count never drives an allocation.
    /// </summary>
    public int ReadArrayCount(bool compact, int minElementSize)
    {
        long count = compact ? (long)ReadUnsignedVarint() - 1 : ReadInt32();
        if (count < -1 || count * Math.Max(minElementSize, 1) > Remaining)
        {
            ProtocolThrow.BadLength("array", count, Remaining);
        }

        return (int)count;
    }

    /// <summary>
    /// Reads a tagged-field section header and hands each field to <paramref name="visitor"/>;
    /// see the generated code for how known tags are decoded and unknown ones preserved.
    /// </summary>
    public int ReadTaggedFieldCount()
    {
        uint count = ReadUnsignedVarint();
        // Each tagged field needs at least two bytes (tag and size).
        if (count > (uint)Remaining / 2)
        {
            ProtocolThrow.BadLength("tagged field section", count, Remaining);
        }

        return (int)count;
    }

    /// <summary>Reads one tagged field's tag and size, and returns a reader over its value.</summary>
    public ProtocolReader ReadTaggedField(out uint tag, out ReadOnlyMemory<byte> value)
    {
        tag = ReadUnsignedVarint();
        uint size = ReadUnsignedVarint();
        if (size > (uint)Remaining)
        {
            ProtocolThrow.BadLength("tagged field", size, Remaining);
        }

        value = ReadRaw((int)size);
        return new ProtocolReader(value);
    }

    /// <summary>Fails unless every byte of a tagged field's value was consumed by its decoder.</summary>
    public readonly void ExpectEnd(string what)
    {
        if (!End)
        {
            ProtocolThrow.Invalid($"{Remaining} unexpected trailing bytes after {what}.");
        }
    }
}
