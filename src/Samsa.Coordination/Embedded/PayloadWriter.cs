using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Samsa.Coordination.Embedded;

/// <summary>Big-endian writes into a growing buffer, for log records and snapshots (which are small and rare).</summary>
internal static class PayloadWriter
{
    public static void WriteByte(ArrayBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public static void WriteInt32(ArrayBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(sizeof(int)), value);
        output.Advance(sizeof(int));
    }

    public static void WriteUInt32(ArrayBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(sizeof(uint)), value);
        output.Advance(sizeof(uint));
    }

    public static void WriteInt64(ArrayBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(output.GetSpan(sizeof(long)), value);
        output.Advance(sizeof(long));
    }

    /// <summary>int32 byte count, then the bytes.</summary>
    public static void WriteBytes(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteInt32(output, value.Length);
        output.Write(value);
    }

    /// <summary>int32 UTF-8 byte count, then the UTF-8 bytes.</summary>
    public static void WriteString(ArrayBufferWriter<byte> output, string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(output, length);
        Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }
}
