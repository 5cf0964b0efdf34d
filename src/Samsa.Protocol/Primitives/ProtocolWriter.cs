using System.Buffers.Binary;
using System.Text;

namespace Samsa.Protocol.Primitives;

/// <summary>
/// Writes Kafka's wire primitives into a <see cref="PooledBufferWriter"/>. A thin value type so
/// generated encoders pass it by reference without allocating; all state lives in the buffer.
/// </summary>
public readonly ref struct ProtocolWriter
{
    private readonly PooledBufferWriter _buffer;

    public ProtocolWriter(PooledBufferWriter buffer)
    {
        _buffer = buffer;
    }

    public PooledBufferWriter Buffer => _buffer;

    /// <summary>Bytes written so far, referenced fields included (see <see cref="PooledBufferWriter.ReferencesLargeFields"/>).</summary>
    public int Position => _buffer.WrittenCount + _buffer.ReferencedCount;

    public void WriteInt8(sbyte value)
    {
        _buffer.GetSpan(1)[0] = (byte)value;
        _buffer.Advance(1);
    }

    public void WriteUInt8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteBool(bool value) => WriteUInt8(value ? (byte)1 : (byte)0);

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteFloat64(double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteUuid(Uuid value)
    {
        value.Write(_buffer.GetSpan(Uuid.Size));
        _buffer.Advance(Uuid.Size);
    }

    public void WriteUnsignedVarint(uint value) =>
        _buffer.Advance(Varint.WriteUnsigned(_buffer.GetSpan(Varint.MaxLength32), value));

    public void WriteVarint(int value) =>
        _buffer.Advance(Varint.WriteSigned(_buffer.GetSpan(Varint.MaxLength32), value));

    public void WriteVarlong(long value) =>
        _buffer.Advance(Varint.WriteSigned(_buffer.GetSpan(Varint.MaxLength64), value));

    private void WriteLength(int length, bool compact, bool wide)
    {
        if (compact)
        {
            WriteUnsignedVarint((uint)(length + 1));
        }
        else if (wide)
        {
            WriteInt32(length);
        }
        else
        {
            if (length > short.MaxValue)
            {
                throw new ProtocolException($"String of {length} bytes is longer than the classic encoding allows ({short.MaxValue}).");
            }

            WriteInt16((short)length);
        }
    }

    public void WriteString(string value, bool compact)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteLength(length, compact, wide: false);
        if (length > 0)
        {
            Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
            _buffer.Advance(length);
        }
    }

    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            WriteLength(-1, compact, wide: false);
            return;
        }

        WriteString(value, compact);
    }

    public void WriteBytes(ReadOnlySpan<byte> value, bool compact)
    {
        WriteLength(value.Length, compact, wide: true);
        WriteRaw(value);
    }

    public void WriteNullableBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is null)
        {
            WriteLength(-1, compact, wide: true);
            return;
        }

        WriteLength(value.Value.Length, compact, wide: true);
        if (!_buffer.TryReference(value.Value))
        {
            WriteRaw(value.Value.Span);
        }
    }

    public void WriteRaw(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return;
        }

        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    /// <summary>Writes an array count; -1 writes null.</summary>
    public void WriteArrayCount(int count, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarint((uint)(count + 1));
        }
        else
        {
            WriteInt32(count);
        }
    }

    /// <summary>Writes one tagged field whose value was encoded separately.</summary>
    public void WriteTaggedField(uint tag, ReadOnlySpan<byte> value)
    {
        WriteUnsignedVarint(tag);
        WriteUnsignedVarint((uint)value.Length);
        WriteRaw(value);
    }

    /// <summary>
    /// Reserves four bytes for a big-endian int32 filled in later by <see cref="PatchInt32"/>; the
    /// result is an offset in the buffer's own bytes, not a <see cref="Position"/>.
    /// </summary>
    public int ReserveInt32()
    {
        int position = _buffer.WrittenCount;
        WriteInt32(0);
        return position;
    }

    public void PatchInt32(int position, int value) =>
        BinaryPrimitives.WriteInt32BigEndian(_buffer.WrittenSpanForPatch.Slice(position, 4), value);
}
