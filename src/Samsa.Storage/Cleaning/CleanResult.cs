namespace Samsa.Storage.Cleaning;

/// <summary>What one compaction pass over one log did.</summary>
/// <param name="Status">How the pass ended.</param>
/// <param name="SegmentsCleaned">Source segments read and rewritten (or kept as they were).</param>
/// <param name="BytesBefore">Bytes of the source segments.</param>
/// <param name="BytesAfter">Bytes of what replaced them.</param>
/// <param name="RecordsRemoved">Superseded records and expired tombstones dropped.</param>
/// <param name="FirstDirtyOffset">The cleaner checkpoint after the pass: everything below has been compacted.</param>
/// <param name="Error">Why the log became uncleanable, when it did.</param>
internal readonly record struct CleanResult(
    CleanStatus Status,
    int SegmentsCleaned,
    long BytesBefore,
    long BytesAfter,
    long RecordsRemoved,
    long FirstDirtyOffset,
    string? Error = null)
{
    internal static CleanResult Of(CleanStatus status, long firstDirtyOffset) => new(status, 0, 0, 0, 0, firstDirtyOffset);
}
