namespace Samsa.Protocol.Records;

/// <summary>Attribute bit 3 of a batch: who chose the timestamps.</summary>
public enum TimestampType
{
    /// <summary>The producer's record timestamps.</summary>
    CreateTime = 0,

    /// <summary>The broker's append time, stored as the batch's max timestamp (topic message.timestamp.type=LogAppendTime).</summary>
    LogAppendTime = 1,
}
