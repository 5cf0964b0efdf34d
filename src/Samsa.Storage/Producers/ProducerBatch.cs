namespace Samsa.Storage.Producers;

/// <summary>
/// One batch a producer appended, as the producer state remembers it: its sequence range, its
/// offsets in the log, and its max timestamp. A retry of exactly this range is a duplicate and is
/// answered with these offsets.
/// </summary>
internal readonly record struct ProducerBatch(int FirstSequence, int LastSequence, long FirstOffset, long LastOffset, long Timestamp)
{
    public int OffsetDelta => (int)(LastOffset - FirstOffset);
}
