using Samsa.Protocol.Records;

namespace Samsa.Storage.Log;

/// <summary>
/// What <see cref="LogSegment.Recover"/> found: the bytes of valid batches kept, the offset after
/// the last one (-1 when none), and whether (and why) a tail was cut.
/// </summary>
internal readonly record struct SegmentRecoveryResult(
    int ValidBytes,
    long NextOffset,
    bool Truncated,
    RecordBatchStatus Failure,
    long BytesTruncated);
