using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;
using Samsa.Storage.Checkpoints;
using Samsa.Storage.Log;

namespace Samsa.Storage.Producers;

/// <summary>
/// <c>&lt;offset&gt;.snapshot</c> in a partition dir: the producer state of every batch below
/// <c>offset</c>, in Kafka's ProducerSnapshot v1 layout: int16 version (1), uint32 CRC-32C of
/// everything after it, int32 entry count, then 46-byte entries (producer id int64, epoch int16,
/// last sequence int32, last offset int64, offset delta int32, timestamp int64, coordinator epoch
/// int32, current transaction first offset int64).
/// <para>
/// Kafka writes one entry per producer (its newest batch). We write one entry per retained batch,
/// oldest first, so a retry of any of the last five batches is still recognised after a restart;
/// Kafka's reader keeps the last entry it reads for an id, which is the one it would have written.
/// An entry with last sequence -1 is a producer with an epoch but no data batch at it.
/// </para>
/// </summary>
internal static class ProducerSnapshotFile
{
    public const string Suffix = ".snapshot";
    public const short Version = 1;

    private const int CrcOffset = 2;
    private const int EntriesOffset = 6;
    private const int HeaderSize = 10;
    private const int EntrySize = 46;

    /// <summary>The snapshot path for <paramref name="offset"/>: the 20-digit offset plus <c>.snapshot</c>.</summary>
    public static string PathFor(string dir, long offset) => Path.Combine(dir, LogFileNames.FileName(offset, Suffix));

    /// <summary>The offsets of the snapshots in <paramref name="dir"/>, ascending.</summary>
    public static List<long> ListOffsets(string dir)
    {
        var offsets = new List<long>();
        foreach (string path in System.IO.Directory.EnumerateFiles(dir, "*" + Suffix))
        {
            string name = Path.GetFileName(path);
            if (name.Length == 20 + Suffix.Length && LogFileNames.TryParseBaseOffset(name, out long offset))
            {
                offsets.Add(offset);
            }
        }

        offsets.Sort();
        return offsets;
    }

    /// <summary>
    /// Writes the table's state as the snapshot at <paramref name="offset"/> (write a temporary
    /// file, rename). With <paramref name="fsync"/> the file and the rename are made durable first
    /// (clean shutdown); without, a crash may leave a torn file, which the CRC rejects on load.
    /// </summary>
    public static void Write(string dir, long offset, ProducerStateTable table, bool fsync)
    {
        int entries = 0;
        foreach (ProducerStateEntry entry in table.Entries)
        {
            entries += Math.Max(entry.BatchCount, 1);
        }

        int length = HeaderSize + (entries * EntrySize);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Span<byte> bytes = buffer.AsSpan(0, length);
            BinaryPrimitives.WriteInt16BigEndian(bytes, Version);
            BinaryPrimitives.WriteInt32BigEndian(bytes[EntriesOffset..], entries);
            int position = HeaderSize;
            foreach (ProducerStateEntry entry in table.Entries)
            {
                if (entry.BatchCount == 0)
                {
                    WriteEntry(bytes[position..], entry.ProducerId, entry.Epoch, -1, -1, 0, entry.LastTimestamp);
                    position += EntrySize;
                    continue;
                }

                for (int i = 0; i < entry.BatchCount; i++)
                {
                    ProducerBatch batch = entry.BatchAt(i);
                    WriteEntry(bytes[position..], entry.ProducerId, entry.Epoch, batch.LastSequence, batch.LastOffset, batch.OffsetDelta, batch.Timestamp);
                    position += EntrySize;
                }
            }

            BinaryPrimitives.WriteUInt32BigEndian(bytes[CrcOffset..], Crc32C.Compute(bytes[EntriesOffset..]));
            string path = PathFor(dir, offset);
            if (fsync)
            {
                AtomicFile.Write(path, bytes);
                return;
            }

            string temporary = path + AtomicFile.TemporarySuffix;
            using (SafeFileHandle file = EmptyFile.Create(temporary, FileAccess.Write, FileShare.Read | FileShare.Delete))
            {
                RandomAccess.Write(file, bytes, 0);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Loads the snapshot at <paramref name="path"/> into the (empty) table. Returns false, leaving
    /// the table empty, when the file is unreadable, of another version, the wrong length or fails
    /// its CRC.
    /// </summary>
    public static bool TryLoad(string path, ProducerStateTable table)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return false;
        }

        if (bytes.Length < HeaderSize
            || BinaryPrimitives.ReadInt16BigEndian(bytes) != Version
            || BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(CrcOffset)) != Crc32C.Compute(bytes.AsSpan(EntriesOffset)))
        {
            return false;
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(EntriesOffset));
        if (count < 0 || (long)count * EntrySize != bytes.Length - HeaderSize)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> entry = bytes.AsSpan(HeaderSize + (i * EntrySize), EntrySize);
            long producerId = BinaryPrimitives.ReadInt64BigEndian(entry);
            short epoch = BinaryPrimitives.ReadInt16BigEndian(entry[8..]);
            int lastSequence = BinaryPrimitives.ReadInt32BigEndian(entry[10..]);
            long lastOffset = BinaryPrimitives.ReadInt64BigEndian(entry[14..]);
            int offsetDelta = BinaryPrimitives.ReadInt32BigEndian(entry[22..]);
            long timestamp = BinaryPrimitives.ReadInt64BigEndian(entry[26..]);
            if (lastSequence < 0 || lastOffset < 0 || offsetDelta < 0)
            {
                table.UpdateEpoch(producerId, epoch, timestamp);
                continue;
            }

            table.Update(producerId, epoch, ProducerSequence.Decrement(lastSequence, offsetDelta), lastSequence, lastOffset - offsetDelta, lastOffset, timestamp);
        }

        return true;
    }

    private static void WriteEntry(Span<byte> destination, long producerId, short epoch, int lastSequence, long lastOffset, int offsetDelta, long timestamp)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, producerId);
        BinaryPrimitives.WriteInt16BigEndian(destination[8..], epoch);
        BinaryPrimitives.WriteInt32BigEndian(destination[10..], lastSequence);
        BinaryPrimitives.WriteInt64BigEndian(destination[14..], lastOffset);
        BinaryPrimitives.WriteInt32BigEndian(destination[22..], offsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(destination[26..], timestamp);
        BinaryPrimitives.WriteInt32BigEndian(destination[34..], -1); // coordinator epoch: no transaction
        BinaryPrimitives.WriteInt64BigEndian(destination[38..], -1); // current transaction first offset: none
    }
}
