using System.Security.Cryptography;

namespace Samsa.Storage.Cleaning;

/// <summary>
/// Kafka's SkimpyOffsetMap: key → latest offset, in a fixed amount of memory. A key is stored as a
/// 128-bit digest (the first 16 bytes of its SHA-256), never as its bytes, so every entry costs
/// 24 bytes whatever the key size; two keys colliding on 128 bits is as unlikely as with Kafka's
/// MD5. Open addressing with linear probing in one <c>long[]</c> of (digest high, digest low,
/// offset + 1) triples, where 0 marks an empty slot. Filled to at most 90% (Kafka's load factor)
/// so probes stay short. Owned by one cleaning pass on one thread.
/// </summary>
internal sealed class OffsetMap
{
    public const int BytesPerEntry = 24;
    private const double LoadFactor = 0.9;
    private const int DigestBytes = 16;

    private readonly long[] _slots;
    private readonly int _capacity;

    /// <summary>A map of <paramref name="slots"/> slots (at least 1), holding up to 90% of them.</summary>
    public OffsetMap(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _capacity = slots;
        _slots = new long[checked(slots * 3)];
        MaxEntries = Math.Max(1, (int)(slots * LoadFactor));
    }

    /// <summary>How many keys fit before the map counts as full.</summary>
    public int MaxEntries { get; }

    public int Count { get; private set; }

    /// <summary>The number of slots (the map's memory is 24 bytes each).</summary>
    public int Slots => _capacity;

    /// <summary>Empties the map for the next pass, keeping its memory.</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        Count = 0;
    }

    /// <summary>Records that <paramref name="key"/> was written at <paramref name="offset"/>; later offsets win.</summary>
    public void Put(ReadOnlySpan<byte> key, long offset)
    {
        (long high, long low) = Digest(key);
        int slot = FindSlot(high, low);
        int i = slot * 3;
        if (_slots[i + 2] == 0)
        {
            if (Count >= MaxEntries)
            {
                // Callers check room per batch; reaching this is a bug in the cleaner.
                throw new InvalidOperationException("The offset map is full.");
            }

            _slots[i] = high;
            _slots[i + 1] = low;
            Count++;
        }

        if (offset + 1 > _slots[i + 2])
        {
            _slots[i + 2] = offset + 1;
        }
    }

    /// <summary>The latest offset recorded for <paramref name="key"/>, or -1.</summary>
    public long Get(ReadOnlySpan<byte> key)
    {
        (long high, long low) = Digest(key);
        return _slots[(FindSlot(high, low) * 3) + 2] - 1;
    }

    private int FindSlot(long high, long low)
    {
        int slot = (int)((ulong)low % (ulong)_capacity);
        while (true)
        {
            int i = slot * 3;
            if (_slots[i + 2] == 0 || (_slots[i] == high && _slots[i + 1] == low))
            {
                return slot;
            }

            slot = slot + 1 == _capacity ? 0 : slot + 1;
        }
    }

    private static (long High, long Low) Digest(ReadOnlySpan<byte> key)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(key, hash);
        return (BitConverter.ToInt64(hash), BitConverter.ToInt64(hash[(DigestBytes / 2)..]));
    }
}
