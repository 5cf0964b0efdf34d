using System.Buffers.Binary;

namespace Samsa.Storage.Log;

/// <summary>
/// A segment's time index in memory: entries (max timestamp so far, offset where it was reached),
/// added only when the segment's max timestamp grows, saved to <c>.timeindex</c> as 12 bytes per
/// entry (big-endian int64 timestamp + int32 relative offset, Kafka's format). Same single-writer,
/// lock-free-reader rules as <see cref="OffsetIndex"/>; the two arrays travel in one object so a
/// reader never pairs a timestamp with another entry's offset. The arrays pass to the next active
/// segment at roll like <see cref="OffsetIndex"/>'s (<see cref="Retire"/>), with the same check.
/// </summary>
internal sealed class TimeIndex : IIndexEntries
{
    private const int EntrySize = LogConfig.TimeIndexEntrySize;
    private const int InitialCapacity = 16;

    private readonly long _baseOffset;
    private readonly int _maxEntries;
    private Entries _entries;
    private int _count;
    private int _persistedCount;
    private int _generation;

    // False only while the file is known to have never held an entry (see OffsetIndex.Save).
    private bool _fileMayHoldEntries = true;

    /// <summary>An empty index; <paramref name="recycled"/> is a retired index's storage to fill (its contents are ignored).</summary>
    /// <param name="fileIsNew">No file of this name exists (a new segment's): until an entry is saved, its file needs no fsync.</param>
    public TimeIndex(long baseOffset, int maxEntries, Entries? recycled = null, bool fileIsNew = false)
        : this(baseOffset, maxEntries, recycled ?? new Entries([], []), 0)
    {
        _fileMayHoldEntries = !fileIsNew;
    }

    private TimeIndex(long baseOffset, int maxEntries, Entries entries, int count)
    {
        _baseOffset = baseOffset;
        _maxEntries = Math.Max(1, maxEntries);
        _entries = entries;
        _count = count;
        _persistedCount = count;
    }

    public int Count => Volatile.Read(ref _count);

    public bool IsFull => Volatile.Read(ref _count) >= _maxEntries;

    public int HeapBytes => _entries.Timestamps.Length * (sizeof(long) + sizeof(int));

    /// <summary>The newest entry, or (-1, base) when there is none.</summary>
    public (long Timestamp, long Offset) LastEntry
    {
        get
        {
            int count = Volatile.Read(ref _count);
            if (count == 0)
            {
                return (-1, _baseOffset);
            }

            Entries entries = Volatile.Read(ref _entries);
            return (entries.Timestamps[count - 1], _baseOffset + entries.Offsets[count - 1]);
        }
    }

    /// <summary>
    /// Adds (timestamp, offset) when the timestamp is above the last entry's. <paramref name="force"/>
    /// ignores capacity: the final entry written when a segment rolls. Writer only.
    /// </summary>
    public void MaybeAppend(long timestamp, long offset, bool force = false)
    {
        int count = _count;
        if ((count > 0 && timestamp <= _entries.Timestamps[count - 1]) || (!force && count >= _maxEntries))
        {
            return;
        }

        if (count == _entries.Timestamps.Length)
        {
            int capacity = Math.Max(InitialCapacity, count * 2);
            var grown = new Entries(new long[capacity], new int[capacity]);
            _entries.Timestamps.AsSpan(0, count).CopyTo(grown.Timestamps);
            _entries.Offsets.AsSpan(0, count).CopyTo(grown.Offsets);
            Volatile.Write(ref _entries, grown);
        }

        _entries.Timestamps[count] = timestamp;
        _entries.Offsets[count] = checked((int)(offset - _baseOffset));
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>Stops using the entry storage and returns it for the next active segment; see <see cref="OffsetIndex.Retire"/>. Writer only.</summary>
    public Entries Retire()
    {
        Entries entries = _entries;
        Volatile.Write(ref _count, 0);
        _persistedCount = 0;
        IndexGeneration.Advance(ref _generation);
        return entries;
    }

    /// <summary>
    /// The newest entry with a timestamp below <paramref name="timestamp"/>: every record up to its
    /// offset is older than the target, so a search may start there. (-1, base) when none is.
    /// </summary>
    public (long Timestamp, long Offset) LookupBelow(long timestamp)
    {
        int generation = Volatile.Read(ref _generation);
        int count = Volatile.Read(ref _count);
        Entries entries = Volatile.Read(ref _entries);
        int lo = 0;
        int hi = count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (entries.Timestamps[mid] < timestamp)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        if (lo == 0)
        {
            return (-1, _baseOffset);
        }

        (long Timestamp, long Offset) found = (entries.Timestamps[lo - 1], _baseOffset + entries.Offsets[lo - 1]);

        // Entries read from storage handed on since are not ours: start at the base.
        return IndexGeneration.StillValid(ref _generation, generation) ? found : (-1, _baseOffset);
    }

    /// <summary>Drops entries at or above <paramref name="offset"/> (log truncation). Writer only.</summary>
    public void TruncateToOffset(long offset)
    {
        int count = _count;
        while (count > 0 && _baseOffset + _entries.Offsets[count - 1] >= offset)
        {
            count--;
        }

        Volatile.Write(ref _count, count);
        _persistedCount = Math.Min(_persistedCount, count);
    }

    /// <summary>Writes the entries not yet on disk and cuts a longer file; see <see cref="OffsetIndex.Save"/>. Writer only.</summary>
    /// <returns>Whether the file was fsynced.</returns>
    public bool Save(string path, bool fsync) =>
        IndexFile.Save(path, fsync, EntrySize, _count, ref _persistedCount, ref _fileMayHoldEntries, this);

    void IIndexEntries.WriteEntry(int index, Span<byte> slot)
    {
        BinaryPrimitives.WriteInt64BigEndian(slot, _entries.Timestamps[index]);
        BinaryPrimitives.WriteInt32BigEndian(slot[8..], _entries.Offsets[index]);
    }

    /// <summary>Reads a time index file, or null when missing or failing the sanity check (timestamps and offsets must grow).</summary>
    public static TimeIndex? Load(string path, long baseOffset, int maxEntries)
    {
        byte[]? bytes = IndexFile.TryReadAll(path, EntrySize);
        if (bytes is null)
        {
            return null;
        }

        int count = bytes.Length / EntrySize;
        var entries = new Entries(new long[count], new int[count]);
        long previousTimestamp = long.MinValue;
        int previousOffset = -1;
        for (int i = 0; i < count; i++)
        {
            long timestamp = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i * EntrySize));
            int offset = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan((i * EntrySize) + 8));
            if (timestamp <= previousTimestamp || offset < previousOffset)
            {
                return null;
            }

            entries.Timestamps[i] = timestamp;
            entries.Offsets[i] = offset;
            previousTimestamp = timestamp;
            previousOffset = offset;
        }

        return new TimeIndex(baseOffset, maxEntries, entries, count);
    }

    /// <summary>The entry storage: both arrays in one object, handed on whole at roll.</summary>
    internal sealed class Entries(long[] timestamps, int[] offsets)
    {
        public long[] Timestamps { get; } = timestamps;

        public int[] Offsets { get; } = offsets;
    }
}
