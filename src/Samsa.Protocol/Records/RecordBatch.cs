using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Records;

/// <summary>
/// Operations on one magic-2 record batch held as bytes: validation, the in-place patches the
/// leader applies on append, splitting a records blob into batches, and opening the records.
/// Nothing here copies or allocates on the valid path; stored batches go back out byte for byte.
/// </summary>
public static class RecordBatch
{
    /// <summary>Fixed header size; also the smallest legal batch.</summary>
    public const int HeaderSize = 61;

    /// <summary>baseOffset + batchLength: the bytes batchLength does not count.</summary>
    public const int LogOverhead = 12;

    public const byte CurrentMagic = 2;

    internal const int BaseOffsetOffset = 0;
    internal const int BatchLengthOffset = 8;
    internal const int PartitionLeaderEpochOffset = 12;
    internal const int MagicOffset = 16;
    internal const int CrcOffset = 17;
    internal const int AttributesOffset = 21;
    internal const int LastOffsetDeltaOffset = 23;
    internal const int BaseTimestampOffset = 27;
    internal const int MaxTimestampOffset = 35;
    internal const int ProducerIdOffset = 43;
    internal const int ProducerEpochOffset = 51;
    internal const int BaseSequenceOffset = 53;
    internal const int RecordCountOffset = 57;

    internal const int CompressionMask = 0x07;
    internal const int TimestampTypeFlag = 0x08;
    internal const int TransactionalFlag = 0x10;
    internal const int ControlFlag = 0x20;
    internal const int DeleteHorizonFlag = 0x40;

    private const int MaxKnownCompression = (int)CompressionType.Zstd;

    /// <summary>
    /// Checks one whole batch (exactly its bytes, as <see cref="RecordBatchEnumerator"/> yields it):
    /// size, length, magic, CRC, then the CRC-covered fields. The CRC is checked before the fields it
    /// covers so a flipped bit reports as corruption, not as a strange value.
    /// </summary>
    public static RecordBatchStatus TryValidate(ReadOnlySpan<byte> batch) => TryValidate(batch, default, null);

    /// <summary>
    /// <see cref="TryValidate(ReadOnlySpan{byte})"/> of a batch received into a buffer whose chunk
    /// CRCs were taken as it arrived: its CRC is joined from them rather than read again. No byte
    /// the CRC covers may have changed since the copy (<see cref="ChunkedCrc32C.Matches"/>).
    /// </summary>
    public static RecordBatchStatus TryValidate(ReadOnlyMemory<byte> batch, ChunkedCrc32C? checksums) =>
        TryValidate(batch.Span, batch, checksums);

    /// <summary>
    /// The part of <see cref="TryValidate(ReadOnlySpan{byte})"/> before the CRC: size, length and
    /// magic, the fields the CRC does not cover. For a caller that checks the CRC elsewhere
    /// (beside the write that stores the batch) and must know the framing first.
    /// </summary>
    public static RecordBatchStatus TryValidateFrame(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < HeaderSize)
        {
            return RecordBatchStatus.TooSmall;
        }

        int batchLength = BinaryPrimitives.ReadInt32BigEndian(batch[BatchLengthOffset..]);
        if ((long)batchLength + LogOverhead != batch.Length)
        {
            return RecordBatchStatus.LengthMismatch;
        }

        return batch[MagicOffset] != CurrentMagic ? RecordBatchStatus.UnsupportedMagic : RecordBatchStatus.Valid;
    }

    private static RecordBatchStatus TryValidate(ReadOnlySpan<byte> batch, ReadOnlyMemory<byte> memory, ChunkedCrc32C? checksums)
    {
        RecordBatchStatus frame = TryValidateFrame(batch);
        if (frame != RecordBatchStatus.Valid)
        {
            return frame;
        }

        uint stored = BinaryPrimitives.ReadUInt32BigEndian(batch[CrcOffset..]);
        if (checksums is null ? stored != Crc32C.Compute(batch[AttributesOffset..]) : !checksums.Matches(memory[AttributesOffset..], stored))
        {
            return RecordBatchStatus.CrcMismatch;
        }

        if ((BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]) & CompressionMask) > MaxKnownCompression)
        {
            return RecordBatchStatus.UnknownCompressionType;
        }

        if (BinaryPrimitives.ReadInt32BigEndian(batch[RecordCountOffset..]) < 0)
        {
            return RecordBatchStatus.InvalidRecordCount;
        }

        return RecordBatchStatus.Valid;
    }

    /// <summary>Throwing form of <see cref="TryValidate"/>, for callers that treat corruption as fatal.</summary>
    public static void Validate(ReadOnlySpan<byte> batch)
    {
        RecordBatchStatus status = TryValidate(batch);
        if (status != RecordBatchStatus.Valid)
        {
            ProtocolThrow.Invalid($"Invalid record batch: {status}.");
        }
    }

    /// <summary>The CRC the batch should carry: CRC-32C of bytes 21 (attributes) to the end.</summary>
    public static uint ComputeCrc(ReadOnlySpan<byte> batch)
    {
        RequireHeader(batch);
        return Crc32C.Compute(batch[AttributesOffset..]);
    }

    /// <summary>Assigns the batch's first offset. Not CRC-covered, so no recomputation.</summary>
    public static void SetBaseOffset(Span<byte> batch, long baseOffset)
    {
        RequireHeader(batch);
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetOffset..], baseOffset);
    }

    /// <summary>Stamps the leader epoch of the append. Not CRC-covered, so no recomputation.</summary>
    public static void SetPartitionLeaderEpoch(Span<byte> batch, int partitionLeaderEpoch)
    {
        RequireHeader(batch);
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], partitionLeaderEpoch);
    }

    /// <summary>
    /// Sets the timestamp type bit and max timestamp (LogAppendTime stamping) and recomputes the
    /// CRC over the whole batch, so <paramref name="batch"/> must be exactly one complete batch.
    /// A no-op when both already hold, which spares the CRC pass.
    /// </summary>
    public static void SetMaxTimestamp(Span<byte> batch, TimestampType timestampType, long maxTimestamp)
    {
        RequireHeader(batch);
        short attributes = BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]);
        short updated = timestampType == TimestampType.LogAppendTime
            ? (short)(attributes | TimestampTypeFlag)
            : (short)(attributes & ~TimestampTypeFlag);
        if (updated == attributes && BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampOffset..]) == maxTimestamp)
        {
            return;
        }

        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], updated);
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], Crc32C.Compute(batch[AttributesOffset..]));
    }

    /// <summary>Splits a Produce/Fetch records blob into its batches without copying.</summary>
    public static RecordBatchEnumerator Enumerate(ReadOnlyMemory<byte> records) => new(records);

    /// <summary>
    /// Opens a validated batch (exactly its bytes) for reading its records. Uncompressed records are read in place; compressed ones
    /// are decompressed into <paramref name="decompressed"/> (cleared first, owned by the caller,
    /// and it must outlive the returned enumerator), failing with <see cref="ProtocolException"/>
    /// past <paramref name="maxDecompressedBytes"/>.
    /// </summary>
    public static RecordEnumerator GetRecords(ReadOnlyMemory<byte> batch, PooledBufferWriter decompressed, int maxDecompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(decompressed);
        var header = new RecordBatchHeader(batch.Span);
        if (header.SizeInBytes != batch.Length)
        {
            // A cut batch can still decompress "successfully" when only a codec trailer is lost.
            ProtocolThrow.Invalid("Record batch length does not match its header.");
        }

        int recordCount = header.RecordCount;
        CompressionType compression = header.CompressionType;
        if ((int)compression > MaxKnownCompression)
        {
            ProtocolThrow.Invalid("Unknown compression type in record batch.");
        }

        ReadOnlyMemory<byte> records = batch[HeaderSize..];
        if (compression == CompressionType.None)
        {
            return new RecordEnumerator(records.Span, recordCount);
        }

        decompressed.Clear();
        CompressionCodec.ForType(compression).Decompress(records, decompressed, maxDecompressedBytes);
        return new RecordEnumerator(decompressed.WrittenSpan, recordCount);
    }

    private static void RequireHeader(ReadOnlySpan<byte> batch)
    {
        // Patches run on batches already validated; a short span here is a caller bug, not input.
        if (batch.Length < HeaderSize)
        {
            throw new ArgumentException("A record batch is at least 61 bytes.", nameof(batch));
        }
    }
}
