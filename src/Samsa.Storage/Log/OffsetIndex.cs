using System.Buffers.Binary;

namespace Samsa.Storage.Log;

/// <summary>
/// A segment's sparse offset index in memory: entries (offset relative to the segment base, byte
/// position of a batch in the .log) in ascending order, and the <c>.index</c> file they are saved to
/// (8 bytes per entry, big-endian int32 + int32, Kafka's format). The file may lag behind memory:
/// it is written on roll, flush and close, and recovery rebuilds it when it is missing or bad.
/// <para>
/// One writer (the log's appender, under the log lock) appends and truncates; readers look up
/// without a lock. Each entry is one packed 64-bit value so a reader never sees half an entry, and
/// a grown array is published before the count that covers it, so a reader that reads the count
/// first always finds its entries in the array it reads next.
/// </para>
/// <para>
/// The active segment's entry array is not garbage at roll: the sealed index hands it to the next
/// active segment (<see cref="Retire"/>), so a log past its first roll appends without allocating.
/// A reader that still holds the retired index may then see the next segment's entries; it
/// notices by <c>_generation</c> (<see cref="IndexGeneration"/>, a seqlock-style check after its
/// lookup) and answers with the segment start, which is always a correct place to scan from.
/// </para>
/// </summary>
internal sealed class OffsetIndex : IIndexEntries
{
    private const int EntrySize = LogConfig.OffsetIndexEntrySize;
    private const int InitialCapacity = 16;

    private readonly long _baseOffset;
    private readonly int _maxEntries;
    private long[] _entries;
    private int _count;
    private int _persistedCount;
    private int _generation;

    // False only while the file is known to have never held an entry (see Save).
    private bool _fileMayHoldEntries = true;

    /// <summary>An empty index; <paramref name="recycled"/> is a retired index's array to fill (its contents are ignored).</summary>
    /// <param name="fileIsNew">No file of this name exists (a new segment's): until an entry is saved, its file needs no fsync.</param>
    public OffsetIndex(long baseOffset, int maxEntries, long[]? recycled = null, bool fileIsNew = false)
        : this(baseOffset, maxEntries, recycled ?? [], 0)
    {
        _fileMayHoldEntries = !fileIsNew;
    }

    private OffsetIndex(long baseOffset, int maxEntries, long[] entries, int count)
    {
        _baseOffset = baseOffset;
        _maxEntries = Math.Max(1, maxEntries);
        _entries = entries;
        _count = count;
        _persistedCount = count;
    }

    public int Count => Volatile.Read(ref _count);

    public bool IsFull => Volatile.Read(ref _count) >= _maxEntries;

    /// <summary>Bytes the entries take on the heap (for the idle-memory figures).</summary>
    public int HeapBytes => _entries.Length * sizeof(long);

    public (long Offset, int Position) LastEntry
    {
        get
        {
            int count = Volatile.Read(ref _count);
            if (count == 0)
            {
                return (_baseOffset, 0);
            }

            long entry = Volatile.Read(ref _entries)[count - 1];
            return (_baseOffset + RelativeOffset(entry), Position(entry));
        }
    }

    /// <summary>Adds an entry; offsets and positions must grow. Writer only.</summary>
    public void Append(long offset, int position)
    {
        int count = _count;
        if (count == _entries.Length)
        {
            long[] grown = new long[Math.Max(InitialCapacity, Math.Min(_maxEntries, count * 2))];
            _entries.AsSpan(0, count).CopyTo(grown);
            Volatile.Write(ref _entries, grown);
        }

        _entries[count] = Pack(checked((int)(offset - _baseOffset)), position);
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>
    /// Stops using the entry array and returns it for the next active segment. Lookups already
    /// running on this index notice and answer (base, 0); later ones find no entries. Writer only,
    /// and the segment must drop this index (it reloads from the saved file).
    /// </summary>
    public long[] Retire()
    {
        long[] entries = _entries;
        Volatile.Write(ref _count, 0);
        _persistedCount = 0;

        // A reader that saw any of the next owner's writes sees the new generation.
        IndexGeneration.Advance(ref _generation);
        return entries;
    }

    /// <summary>The greatest entry whose offset is at most <paramref name="targetOffset"/>; (base, 0) when none is.</summary>
    public (long Offset, int Position) Lookup(long targetOffset)
    {
        int generation = Volatile.Read(ref _generation);
        int count = Volatile.Read(ref _count);
        long[] entries = Volatile.Read(ref _entries);
        long relative = targetOffset - _baseOffset;
        if (count == 0 || relative < RelativeOffset(entries[0]))
        {
            return (_baseOffset, 0);
        }

        int lo = 0;
        int hi = count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (RelativeOffset(entries[mid]) <= relative)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        long found = entries[lo];
        return IndexGeneration.StillValid(ref _generation, generation) ? (_baseOffset + RelativeOffset(found), Position(found)) : (_baseOffset, 0);
    }

    /// <summary>The greatest entry whose position is at most <paramref name="position"/>; (base, 0) when none is.</summary>
    public (long Offset, int Position) LookupByPosition(int position)
    {
        int generation = Volatile.Read(ref _generation);
        int count = Volatile.Read(ref _count);
        long[] entries = Volatile.Read(ref _entries);
        if (count == 0 || Position(entries[0]) > position)
        {
            return (_baseOffset, 0);
        }

        int lo = 0;
        int hi = count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (Position(entries[mid]) <= position)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        long found = entries[lo];
        return IndexGeneration.StillValid(ref _generation, generation) ? (_baseOffset + RelativeOffset(found), Position(found)) : (_baseOffset, 0);
    }

    /// <summary>Drops the entries of batches at or after <paramref name="position"/> (log truncation). Writer only.</summary>
    public void TruncateToPosition(int position)
    {
        int count = _count;
        while (count > 0 && Position(_entries[count - 1]) >= position)
        {
            count--;
        }

        Volatile.Write(ref _count, count);
        _persistedCount = Math.Min(_persistedCount, count);
    }

    /// <summary>
    /// Brings the file up to date: appends the entries not yet written (the common case: a few at
    /// the tail) and cuts the file when truncation left it longer. Writer only.
    /// </summary>
    /// <returns>Whether the file was fsynced.</returns>
    public bool Save(string path, bool fsync) =>
        IndexFile.Save(path, fsync, EntrySize, _count, ref _persistedCount, ref _fileMayHoldEntries, this);

    void IIndexEntries.WriteEntry(int index, Span<byte> slot)
    {
        BinaryPrimitives.WriteInt32BigEndian(slot, RelativeOffset(_entries[index]));
        BinaryPrimitives.WriteInt32BigEndian(slot[4..], Position(_entries[index]));
    }

    /// <summary>
    /// Reads an index file, or returns null when it is missing or fails the sanity check (size a
    /// multiple of 8, offsets and positions strictly increasing, positions inside the log) — the
    /// caller then rebuilds it from the log. Kafka's preallocated, zero-filled tail fails the check.
    /// </summary>
    public static OffsetIndex? Load(string path, long baseOffset, int maxEntries, long logSize)
    {
        byte[]? bytes = IndexFile.TryReadAll(path, EntrySize);
        if (bytes is null)
        {
            return null;
        }

        int count = bytes.Length / EntrySize;
        long[] entries = new long[count];
        long previousRelative = -1;
        long previousPosition = -1;
        for (int i = 0; i < count; i++)
        {
            int relative = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(i * EntrySize));
            int position = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan((i * EntrySize) + 4));
            if (relative <= previousRelative || position <= previousPosition || position >= logSize)
            {
                return null;
            }

            entries[i] = Pack(relative, position);
            previousRelative = relative;
            previousPosition = position;
        }

        return new OffsetIndex(baseOffset, maxEntries, entries, count);
    }

    private static long Pack(int relativeOffset, int position) => ((long)relativeOffset << 32) | (uint)position;

    private static int RelativeOffset(long entry) => (int)(entry >> 32);

    private static int Position(long entry) => (int)entry;
}
