using System.Buffers.Binary;
using Samsa.Protocol.Records;

namespace Samsa.Fuzzer;

/// <summary>What a length-like field is on the wire, so a mutation can write extremes of the same width.</summary>
public enum LengthFieldKind
{
    /// <summary>Big-endian int16: a classic string length.</summary>
    TwoBytes,

    /// <summary>Big-endian int32: a classic array count or bytes/records length.</summary>
    FourBytes,

    /// <summary>Unsigned varint (length + 1): a compact string, bytes or array length.</summary>
    CompactVarint,
}

/// <summary>A length-like field found in a captured frame.</summary>
public readonly record struct LengthField(int Position, int Width, LengthFieldKind Kind);

/// <summary>A magic-2 record batch found in a captured frame (its CRC checked, so not a coincidence).</summary>
public readonly record struct BatchSpan(int Start, int Length);

/// <summary>
/// Finds, without a schema, the fields of a captured frame that hostile input should target:
/// record batches (located by a valid CRC-32C), and length fields (a string length directly
/// followed by that many printable bytes, an array count directly followed by such a string, the
/// length in front of a record set). False positives only mean a few mutations land elsewhere.
/// </summary>
public sealed class FrameAnatomy
{
    private const int MinStringLength = 2;
    private const int MaxStringLength = 249;

    private FrameAnatomy(List<LengthField> lengths, List<BatchSpan> batches)
    {
        Lengths = lengths;
        Batches = batches;
    }

    public IReadOnlyList<LengthField> Lengths { get; }

    public IReadOnlyList<BatchSpan> Batches { get; }

    public static FrameAnatomy Of(ReadOnlySpan<byte> payload)
    {
        var lengths = new List<LengthField>();
        var batches = new List<BatchSpan>();
        FindBatches(payload, batches);
        for (int i = 0; i < payload.Length; i++)
        {
            if (IsClassicString(payload, i))
            {
                lengths.Add(new LengthField(i, 2, LengthFieldKind.TwoBytes));
                if (i >= 4 && BinaryPrimitives.ReadInt32BigEndian(payload[(i - 4)..]) is > 0 and < 10_000)
                {
                    lengths.Add(new LengthField(i - 4, 4, LengthFieldKind.FourBytes));
                }
            }
            else if (IsCompactString(payload, i))
            {
                lengths.Add(new LengthField(i, 1, LengthFieldKind.CompactVarint));
                if (i >= 1 && payload[i - 1] is > 1 and < 0x80)
                {
                    lengths.Add(new LengthField(i - 1, 1, LengthFieldKind.CompactVarint));
                }
            }
        }

        foreach (BatchSpan batch in batches)
        {
            AddRecordSetLength(payload, batch.Start, lengths);
        }

        return new FrameAnatomy(lengths, batches);
    }

    private static void FindBatches(ReadOnlySpan<byte> payload, List<BatchSpan> batches)
    {
        for (int i = 0; i + RecordBatch.HeaderSize <= payload.Length; i++)
        {
            if (payload[i + BatchLayout.Magic] != 2)
            {
                continue;
            }

            int batchLength = BinaryPrimitives.ReadInt32BigEndian(payload[(i + BatchLayout.BatchLength)..]);
            long total = (long)batchLength + RecordBatch.LogOverhead;
            if (total < RecordBatch.HeaderSize || i + total > payload.Length)
            {
                continue;
            }

            uint crc = BinaryPrimitives.ReadUInt32BigEndian(payload[(i + BatchLayout.Crc)..]);
            if (crc == Crc32C.Compute(payload.Slice(i + BatchLayout.Attributes, (int)total - BatchLayout.Attributes)))
            {
                batches.Add(new BatchSpan(i, (int)total));
                i += (int)total - 1;
            }
        }
    }

    private static bool IsClassicString(ReadOnlySpan<byte> payload, int i)
    {
        if (i + 2 > payload.Length)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadInt16BigEndian(payload[i..]);
        return length is >= MinStringLength and <= MaxStringLength && IsPrintable(payload, i + 2, length);
    }

    private static bool IsCompactString(ReadOnlySpan<byte> payload, int i)
    {
        int length = payload[i] - 1;
        return length is >= MinStringLength and < 0x7F && IsPrintable(payload, i + 1, length);
    }

    private static bool IsPrintable(ReadOnlySpan<byte> payload, int start, int length)
    {
        if (start + length > payload.Length)
        {
            return false;
        }

        foreach (byte b in payload.Slice(start, length))
        {
            if (b is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The records field in front of a batch: int32 size (classic) or unsigned varint size + 1 (compact).</summary>
    private static void AddRecordSetLength(ReadOnlySpan<byte> payload, int batchStart, List<LengthField> lengths)
    {
        if (batchStart >= 4 && BinaryPrimitives.ReadInt32BigEndian(payload[(batchStart - 4)..]) is > 0 and var size && batchStart + size <= payload.Length)
        {
            lengths.Add(new LengthField(batchStart - 4, 4, LengthFieldKind.FourBytes));
            return;
        }

        for (int width = 1; width <= 5 && width <= batchStart; width++)
        {
            int start = batchStart - width;
            if (Samsa.Protocol.Primitives.Varint.TryReadUnsigned(payload[start..batchStart], out uint value, out int read) && read == width && value > 1)
            {
                lengths.Add(new LengthField(start, width, LengthFieldKind.CompactVarint));
                return;
            }
        }
    }
}
