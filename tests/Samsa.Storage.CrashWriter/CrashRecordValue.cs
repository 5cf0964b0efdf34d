using System.Buffers.Binary;
using Samsa.Protocol.Records;

namespace Samsa.Storage.CrashWriter;

/// <summary>
/// The self-describing record value the crash writer appends, so the checker needs no record of
/// what was written: [int64 offset the record must land at][int32 payload length][payload: a
/// pattern derived from the offset][uint32 CRC-32C of everything before it]. A record found at
/// another offset, or with a torn or foreign value, fails <see cref="IsValid"/>. Shared with the
/// crash tests as a linked source file.
/// </summary>
internal static class CrashRecordValue
{
    private const int HeaderSize = 12;
    private const int ChecksumSize = 4;

    public static byte[] Create(long offset, int payloadLength)
    {
        byte[] value = new byte[HeaderSize + payloadLength + ChecksumSize];
        BinaryPrimitives.WriteInt64BigEndian(value, offset);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(8), payloadLength);
        for (int i = 0; i < payloadLength; i++)
        {
            value[HeaderSize + i] = PatternByte(offset, i);
        }

        int covered = HeaderSize + payloadLength;
        BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(covered), Crc32C.Compute(value.AsSpan(0, covered)));
        return value;
    }

    /// <summary>Whether <paramref name="value"/> is exactly what <see cref="Create"/> made for a record at <paramref name="offset"/>.</summary>
    public static bool IsValid(long offset, ReadOnlySpan<byte> value)
    {
        if (value.Length < HeaderSize + ChecksumSize || BinaryPrimitives.ReadInt64BigEndian(value) != offset)
        {
            return false;
        }

        int payloadLength = BinaryPrimitives.ReadInt32BigEndian(value[8..]);
        if (payloadLength < 0 || value.Length != HeaderSize + payloadLength + ChecksumSize)
        {
            return false;
        }

        int covered = HeaderSize + payloadLength;
        if (BinaryPrimitives.ReadUInt32BigEndian(value[covered..]) != Crc32C.Compute(value[..covered]))
        {
            return false;
        }

        for (int i = 0; i < payloadLength; i++)
        {
            if (value[HeaderSize + i] != PatternByte(offset, i))
            {
                return false;
            }
        }

        return true;
    }

    private static byte PatternByte(long offset, int index) => unchecked((byte)((offset * 131) + (index * 31)));
}
