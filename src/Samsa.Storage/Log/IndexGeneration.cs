namespace Samsa.Storage.Log;

/// <summary>
/// The check that lets a lock-free index lookup trust what it read (<see cref="OffsetIndex"/>,
/// <see cref="TimeIndex"/>): an index's generation moves when its storage is handed to the next
/// active segment (Retire), so a lookup that read the generation first and finds it unchanged
/// after reading entries read this index's own entries.
/// </summary>
internal static class IndexGeneration
{
    /// <summary>Hands the storage on: a full fence, so the next owner's writes come after it.</summary>
    public static void Advance(ref int generation) => Interlocked.Increment(ref generation);

    /// <summary>
    /// Whether <paramref name="generation"/> is still <paramref name="seen"/>. The fence keeps the
    /// entry reads before this re-read.
    /// </summary>
    public static bool StillValid(ref int generation, int seen)
    {
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref generation) == seen;
    }
}
