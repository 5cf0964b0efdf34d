using System.Buffers.Binary;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Fuzzer;

/// <summary>
/// Turns captured requests into hostile ones. Every choice comes from the caller's seeded
/// <see cref="Random"/>, so a seed replays the same sequence of frames.
/// </summary>
public static class Mutator
{
    private static readonly MutationKind[] Kinds = Enum.GetValues<MutationKind>();

    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];

    private static readonly short[] UnknownApiKeys = [-1, -32768, 38, 57, 99, 255, 256, 1000, 32767];

    private static readonly int[] ExtremeInt32 = [-1, -2, 0, int.MinValue, int.MaxValue, int.MaxValue - 1, 0x10000000, 0x7FFF];

    private static readonly short[] ExtremeInt16 = [-1, -2, 0, short.MinValue, short.MaxValue, 0x100];

    /// <summary>Extreme unsigned varints: null, empty, huge, max uint32, overlong (6 bytes), and unterminated.</summary>
    private static readonly byte[][] ExtremeVarints =
    [
        [0x00],
        [0x01],
        [0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
        [0xFF, 0xFF, 0xFF, 0xFF, 0x07],
        [0x80, 0x80, 0x80, 0x80, 0x08],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        [0xFF, 0xFF],
        [0x81, 0x80, 0x80, 0x80, 0x00],
        [0xFF],
    ];

    /// <summary>
    /// A frame for the wire: a copy of <paramref name="frame"/> with <paramref name="correlationId"/>,
    /// then mutated by <paramref name="kind"/>. <paramref name="other"/> feeds splices.
    /// </summary>
    public static MutatedFrame Mutate(CorpusFrame frame, CorpusFrame other, MutationKind kind, int correlationId, Random random)
    {
        byte[] payload = (byte[])frame.Payload.Clone();
        if (payload.Length >= 8)
        {
            BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), correlationId);
        }

        switch (kind)
        {
            case MutationKind.None:
                return new MutatedFrame(WithSize(payload), kind);
            case MutationKind.SizePrefix:
                return new MutatedFrame(WithLyingSize(payload, random), kind);
            case MutationKind.Garbage:
                return new MutatedFrame(Garbage(random), kind);
            case MutationKind.Splice:
                return new MutatedFrame(WithSize(Splice(payload, other.Payload, random)), kind);
            default:
                return new MutatedFrame(WithSize(MutatePayload(payload, frame.Anatomy, kind, random)), kind);
        }
    }

    /// <summary>A random kind; replays of the captured frame stay common so the broker keeps doing real work.</summary>
    public static MutationKind PickKind(Random random) =>
        random.Next(8) == 0 ? MutationKind.None : Kinds[1 + random.Next(Kinds.Length - 1)];

    private static byte[] MutatePayload(byte[] payload, FrameAnatomy anatomy, MutationKind kind, Random random)
    {
        switch (kind)
        {
            case MutationKind.BitFlip:
                for (int flips = 1 + random.Next(8); flips > 0 && payload.Length > 0; flips--)
                {
                    payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
                }

                return payload;
            case MutationKind.InterestingBytes:
                for (int n = 1 + random.Next(4); n > 0 && payload.Length > 0; n--)
                {
                    payload[random.Next(payload.Length)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                }

                return payload;
            case MutationKind.RandomBytes:
                if (payload.Length > 0)
                {
                    int start = random.Next(payload.Length);
                    random.NextBytes(payload.AsSpan(start, Math.Min(payload.Length - start, 1 + random.Next(32))));
                }

                return payload;
            case MutationKind.Truncate:
                return payload[..random.Next(payload.Length)];
            case MutationKind.Extend:
                byte[] longer = new byte[payload.Length + 1 + random.Next(random.Next(2) == 0 ? 16 : 4096)];
                payload.CopyTo(longer, 0);
                if (random.Next(2) == 0)
                {
                    random.NextBytes(longer.AsSpan(payload.Length));
                }

                return longer;
            case MutationKind.ApiKey:
                if (payload.Length >= 2)
                {
                    short key = random.Next(2) == 0
                        ? ApiMessageTable.Keys[random.Next(ApiMessageTable.Keys.Length)]
                        : UnknownApiKeys[random.Next(UnknownApiKeys.Length)];
                    BinaryPrimitives.WriteInt16BigEndian(payload, key);
                }

                return payload;
            case MutationKind.ApiVersion:
                if (payload.Length >= 4)
                {
                    var key = (ApiKey)BinaryPrimitives.ReadInt16BigEndian(payload);
                    short highest = ApiMessageTable.IsKnown(key) ? ApiMessageTable.HighestVersion(key) : (short)0;
                    short[] versions = [-1, short.MinValue, short.MaxValue, 0, 1, highest, (short)(highest + 1), (short)(highest + 20), (short)random.Next(highest + 1)];
                    BinaryPrimitives.WriteInt16BigEndian(payload.AsSpan(2), versions[random.Next(versions.Length)]);
                }

                return payload;
            case MutationKind.LengthField:
                return MutateLengthField(payload, anatomy, random);
            case MutationKind.Varint:
                return MutateVarint(payload, anatomy, random);
            case MutationKind.RecordBatch:
                return MutateRecordBatch(payload, anatomy, random);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a payload mutation.");
        }
    }

    private static byte[] MutateLengthField(byte[] payload, FrameAnatomy anatomy, Random random)
    {
        if (anatomy.Lengths.Count == 0)
        {
            return MutatePayload(payload, anatomy, MutationKind.InterestingBytes, random);
        }

        LengthField field = anatomy.Lengths[random.Next(anatomy.Lengths.Count)];
        Span<byte> at = payload.AsSpan(field.Position);
        switch (field.Kind)
        {
            case LengthFieldKind.TwoBytes:
                short current16 = BinaryPrimitives.ReadInt16BigEndian(at);
                short[] values16 = [.. ExtremeInt16, (short)(current16 + 1), (short)(current16 - 1)];
                BinaryPrimitives.WriteInt16BigEndian(at, values16[random.Next(values16.Length)]);
                return payload;
            case LengthFieldKind.FourBytes:
                int current32 = BinaryPrimitives.ReadInt32BigEndian(at);
                int[] values32 = [.. ExtremeInt32, current32 + 1, current32 - 1, current32 * 2];
                BinaryPrimitives.WriteInt32BigEndian(at, values32[random.Next(values32.Length)]);
                return payload;
            default:
                return ReplaceVarint(payload, field, random);
        }
    }

    private static byte[] MutateVarint(byte[] payload, FrameAnatomy anatomy, Random random)
    {
        // Header v2's tagged-field count follows the client id; else a compact length; else the last byte (the body's tagged fields).
        var candidates = new List<LengthField>();
        foreach (LengthField field in anatomy.Lengths)
        {
            if (field.Kind == LengthFieldKind.CompactVarint)
            {
                candidates.Add(field);
            }
        }

        if (payload.Length >= 10)
        {
            int clientIdLength = BinaryPrimitives.ReadInt16BigEndian(payload.AsSpan(8));
            int afterClientId = 10 + Math.Max(clientIdLength, 0);
            if (afterClientId < payload.Length)
            {
                candidates.Add(new LengthField(afterClientId, 1, LengthFieldKind.CompactVarint));
            }

            candidates.Add(new LengthField(payload.Length - 1, 1, LengthFieldKind.CompactVarint));
        }

        return candidates.Count == 0
            ? MutatePayload(payload, anatomy, MutationKind.InterestingBytes, random)
            : ReplaceVarint(payload, candidates[random.Next(candidates.Count)], random);
    }

    private static byte[] ReplaceVarint(byte[] payload, LengthField field, Random random)
    {
        byte[] replacement = ExtremeVarints[random.Next(ExtremeVarints.Length)];
        bool unterminatedAtEnd = random.Next(8) == 0;
        if (unterminatedAtEnd)
        {
            // Cut the frame right after a continuation byte: the varint runs off the end.
            byte[] cut = payload[..(field.Position + 1)];
            cut[^1] = 0xFF;
            return cut;
        }

        return [.. payload.AsSpan(0, field.Position), .. replacement, .. payload.AsSpan(field.Position + field.Width)];
    }

    private static byte[] MutateRecordBatch(byte[] payload, FrameAnatomy anatomy, Random random)
    {
        if (anatomy.Batches.Count == 0)
        {
            return MutatePayload(payload, anatomy, MutationKind.LengthField, random);
        }

        BatchSpan batch = anatomy.Batches[random.Next(anatomy.Batches.Count)];
        Span<byte> span = payload.AsSpan(batch.Start, batch.Length);
        switch (random.Next(10))
        {
            case 0:
                BinaryPrimitives.WriteInt32BigEndian(span[BatchLayout.BatchLength..], ExtremeInt32[random.Next(ExtremeInt32.Length)] + random.Next(3) - 1);
                break;
            case 1:
                BinaryPrimitives.WriteInt32BigEndian(span[BatchLayout.RecordCount..], ExtremeInt32[random.Next(ExtremeInt32.Length)]);
                break;
            case 2:
                int count = BinaryPrimitives.ReadInt32BigEndian(span[BatchLayout.RecordCount..]);
                BinaryPrimitives.WriteInt32BigEndian(span[BatchLayout.RecordCount..], count + (random.Next(2) == 0 ? 1 : -1));
                break;
            case 3:
                // Compression codec bits 5..7 are undefined; 0x20 is the control flag, 0x10 transactional.
                BinaryPrimitives.WriteInt16BigEndian(span[BatchLayout.Attributes..], (short)random.Next(0x80));
                break;
            case 4:
                BinaryPrimitives.WriteInt32BigEndian(span[BatchLayout.LastOffsetDelta..], ExtremeInt32[random.Next(ExtremeInt32.Length)]);
                break;
            case 5:
                span[BatchLayout.Magic] = (byte)random.Next(4);
                break;
            case 6:
                BinaryPrimitives.WriteInt64BigEndian(span[BatchLayout.BaseTimestamp..], random.Next(2) == 0 ? long.MinValue : long.MaxValue);
                BinaryPrimitives.WriteInt32BigEndian(span[BatchLayout.BaseSequence..], ExtremeInt32[random.Next(ExtremeInt32.Length)]);
                break;
            case 7:
                BinaryPrimitives.WriteInt64BigEndian(span[BatchLayout.ProducerId..], random.Next(3) - 2);
                BinaryPrimitives.WriteInt16BigEndian(span[BatchLayout.ProducerEpoch..], ExtremeInt16[random.Next(ExtremeInt16.Length)]);
                break;
            default:
                // Inside the records (or the compressed stream): varint lengths, deltas, key/value sizes.
                if (span.Length > BatchLayout.Records)
                {
                    Span<byte> records = span[BatchLayout.Records..];
                    for (int n = 1 + random.Next(3); n > 0; n--)
                    {
                        records[random.Next(records.Length)] = random.Next(2) == 0 ? InterestingBytes[random.Next(InterestingBytes.Length)] : (byte)random.Next(256);
                    }
                }

                break;
        }

        // Mostly fix the CRC up, so the corruption gets past the checksum into the decoder.
        if (random.Next(4) != 0)
        {
            uint crc = Crc32C.Compute(span[BatchLayout.Attributes..]);
            BinaryPrimitives.WriteUInt32BigEndian(span[BatchLayout.Crc..], crc);
        }
        else
        {
            span[BatchLayout.Crc + random.Next(4)] ^= (byte)(1 << random.Next(8));
        }

        return payload;
    }

    private static byte[] Splice(byte[] head, byte[] tail, Random random)
    {
        int cutHead = random.Next(head.Length + 1);
        int cutTail = random.Next(tail.Length + 1);
        return [.. head.AsSpan(0, cutHead), .. tail.AsSpan(cutTail)];
    }

    private static byte[] Garbage(Random random)
    {
        int length = random.Next(3) switch
        {
            0 => random.Next(16),
            1 => random.Next(256),
            _ => random.Next(8192),
        };
        byte[] wire = new byte[4 + length];
        random.NextBytes(wire);
        if (random.Next(2) == 0)
        {
            BinaryPrimitives.WriteInt32BigEndian(wire, length);
        }

        return wire;
    }

    private static byte[] WithSize(byte[] payload)
    {
        byte[] wire = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(wire, payload.Length);
        payload.CopyTo(wire, 4);
        return wire;
    }

    private static byte[] WithLyingSize(byte[] payload, Random random)
    {
        byte[] wire = WithSize(payload);
        int[] sizes = [payload.Length - 1 - random.Next(Math.Max(payload.Length, 1)), payload.Length + 1 + random.Next(64), -1, int.MinValue, int.MaxValue, 100 * 1024 * 1024, 0];
        BinaryPrimitives.WriteInt32BigEndian(wire, sizes[random.Next(sizes.Length)]);
        return wire;
    }
}
