using System.Buffers.Binary;
using System.Numerics;

namespace Samsa.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of record batches and of Kafka's producer-state snapshots.
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> maps to the SSE4.2/ARMv8 instruction when the
/// CPU has it (and to a table otherwise), so we feed it 8 bytes at a time.
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(~0u, data);

    /// <summary>Advances a raw (non-inverted) running CRC; <see cref="Compute"/> adds the pre- and post-inversion.</summary>
    internal static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        // The CRC is bit-reflected, so the little-endian view of each 8-byte chunk is the byte order
        // the polynomial division expects.
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
