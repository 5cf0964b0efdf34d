namespace Samsa.Fuzzer;

/// <summary>
/// Byte offsets of the magic-2 record batch header fields (Kafka's documented layout), for the
/// record-batch mutations: base offset int64, batch length int32, partition leader epoch int32,
/// magic int8, CRC-32C uint32 (over attributes to the end), attributes int16, last offset delta
/// int32, base and max timestamps int64, producer id int64, producer epoch int16, base sequence
/// int32, record count int32, then the records.
/// </summary>
internal static class BatchLayout
{
    public const int BaseOffset = 0;
    public const int BatchLength = 8;
    public const int PartitionLeaderEpoch = 12;
    public const int Magic = 16;
    public const int Crc = 17;
    public const int Attributes = 21;
    public const int LastOffsetDelta = 23;
    public const int BaseTimestamp = 27;
    public const int MaxTimestamp = 35;
    public const int ProducerId = 43;
    public const int ProducerEpoch = 51;
    public const int BaseSequence = 53;
    public const int RecordCount = 57;
    public const int Records = 61;
}
