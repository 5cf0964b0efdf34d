namespace Samsa.Storage.Log;

/// <summary>
/// The in-memory storage of a sealed segment's indexes, handed to the next active segment at roll
/// so a log past its first roll appends without allocating (see <see cref="OffsetIndex.Retire"/>).
/// Null parts: nothing to hand on (the segment's save failed, or it had no indexes loaded).
/// </summary>
internal readonly record struct IndexStorage(long[]? Offsets, TimeIndex.Entries? Times);
