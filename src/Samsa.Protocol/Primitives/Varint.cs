namespace Samsa.Protocol.Primitives;

/// <summary>
/// Kafka's variable-length integers on spans: unsigned varints (LEB128, 7 bits per byte, least
/// significant group first) and the zigzag-encoded signed varint/varlong used inside records.
/// The Try forms never throw, so record iteration can report corruption as a value.
/// </summary>
public static class Varint
{
    /// <summary>Longest encoding of a 32-bit varint.</summary>
    public const int MaxLength32 = 5;

    /// <summary>Longest encoding of a 64-bit varint.</summary>
    public const int MaxLength64 = 10;

    public static int SizeOfUnsigned(uint value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    public static int SizeOfUnsigned(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    public static int SizeOfSigned(int value) => SizeOfUnsigned(ZigZag(value));

    public static int SizeOfSigned(long value) => SizeOfUnsigned(ZigZag(value));

    public static uint ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static int UnZigZag(uint value) => (int)(value >> 1) ^ -(int)(value & 1);

    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    /// <summary>Reads an unsigned 32-bit varint. Returns false if the span ends first or the encoding is longer than 5 bytes or overflows.</summary>
    public static bool TryReadUnsigned(ReadOnlySpan<byte> source, out uint value, out int bytesRead)
    {
        uint result = 0;
        for (int i = 0; i < MaxLength32; i++)
        {
            if (i >= source.Length)
            {
                break;
            }

            uint b = source[i];
            if (i == MaxLength32 - 1 && b > 0x0F)
            {
                break; // would overflow 32 bits
            }

            result |= (b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                value = result;
                bytesRead = i + 1;
                return true;
            }
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    /// <summary>Reads an unsigned 64-bit varint. Returns false on truncation, over-long encoding or overflow.</summary>
    public static bool TryReadUnsigned(ReadOnlySpan<byte> source, out ulong value, out int bytesRead)
    {
        ulong result = 0;
        for (int i = 0; i < MaxLength64; i++)
        {
            if (i >= source.Length)
            {
                break;
            }

            ulong b = source[i];
            if (i == MaxLength64 - 1 && b > 0x01)
            {
                break; // would overflow 64 bits
            }

            result |= (b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                value = result;
                bytesRead = i + 1;
                return true;
            }
        }

        value = 0;
        bytesRead = 0;
        return false;
    }

    public static bool TryReadSigned(ReadOnlySpan<byte> source, out int value, out int bytesRead)
    {
        bool ok = TryReadUnsigned(source, out uint raw, out bytesRead);
        value = UnZigZag(raw);
        return ok;
    }

    public static bool TryReadSigned(ReadOnlySpan<byte> source, out long value, out int bytesRead)
    {
        bool ok = TryReadUnsigned(source, out ulong raw, out bytesRead);
        value = UnZigZag(raw);
        return ok;
    }

    /// <summary>Writes an unsigned varint; the destination must hold <see cref="SizeOfUnsigned(uint)"/> bytes.</summary>
    public static int WriteUnsigned(Span<byte> destination, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteSigned(Span<byte> destination, int value) => WriteUnsigned(destination, ZigZag(value));

    public static int WriteSigned(Span<byte> destination, long value) => WriteUnsigned(destination, ZigZag(value));
}
